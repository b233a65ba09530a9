#include "tokenizer/unicode.hpp"

#include <algorithm>
#include <array>
#include <iterator>

namespace qframe::tok {
namespace {

#include "tokenizer/unicode_flags.inc"

constexpr uint32_t kMaxCodepoint = 0x10FFFF;

// Decodes one sequence at `pos` and moves past it; -1 (pos unchanged) when the bytes do not form
// one. Overlong forms and surrogates are accepted, as llama.cpp accepts them.
int64_t decode_one(std::string_view s, size_t& pos) {
    const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
    const auto continuation = [&](size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
    const uint8_t b0 = byte(pos);
    if (b0 < 0x80) {
        pos += 1;
        return b0;
    }
    if ((b0 & 0xE0) == 0xC0 && continuation(pos + 1)) {
        const uint32_t c = ((b0 & 0x1F) << 6) | (byte(pos + 1) & 0x3F);
        pos += 2;
        return c;
    }
    if ((b0 & 0xF0) == 0xE0 && continuation(pos + 1) && continuation(pos + 2)) {
        const uint32_t c = ((b0 & 0x0F) << 12) | ((byte(pos + 1) & 0x3F) << 6) | (byte(pos + 2) & 0x3F);
        pos += 3;
        return c;
    }
    if ((b0 & 0xF8) == 0xF0 && continuation(pos + 1) && continuation(pos + 2) && continuation(pos + 3)) {
        const uint32_t c = ((b0 & 0x07) << 18) | ((byte(pos + 1) & 0x3F) << 12) | ((byte(pos + 2) & 0x3F) << 6) |
                           (byte(pos + 3) & 0x3F);
        pos += 4;
        return c;
    }
    return -1;
}

struct ByteAlphabet {
    std::array<std::string, 256> to_unicode;
    std::array<int, 512> to_byte{};  // every stand-in code point is below 0x144

    ByteAlphabet() {
        to_byte.fill(-1);
        // Printable Latin-1 bytes stand for themselves; the others take 256, 257… in byte order.
        const auto printable = [](int b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); };
        uint32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            const uint32_t cpt = printable(b) ? static_cast<uint32_t>(b) : next++;
            append_utf8(to_unicode[b], cpt);
            to_byte[cpt] = b;
        }
    }
};

const ByteAlphabet& byte_alphabet() {
    static const ByteAlphabet alphabet;
    return alphabet;
}

}  // namespace

CodepointInfo codepoint_info(uint32_t cpt) {
    if (cpt > kMaxCodepoint) return {kUndefined, false};
    const auto* range = std::upper_bound(std::begin(kCategoryRanges), std::end(kCategoryRanges), cpt,
                                         [](uint32_t c, const CategoryRange& r) { return c < r.first; });
    CodepointInfo info;
    info.category = std::prev(range)->flags;
    info.whitespace = std::binary_search(std::begin(kWhiteSpace), std::end(kWhiteSpace), cpt);
    return info;
}

size_t utf8_length(char first_byte) {
    static constexpr size_t kByHighNibble[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return kByHighNibble[static_cast<uint8_t>(first_byte) >> 4];
}

std::vector<uint32_t> decode_utf8(std::string_view text) {
    std::vector<uint32_t> out;
    out.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) {
        const int64_t c = decode_one(text, pos);
        if (c < 0) {
            out.push_back(kReplacementChar);  // skip one byte, as llama.cpp does
            ++pos;
        } else {
            out.push_back(static_cast<uint32_t>(c));
        }
    }
    return out;
}

Utf8Damage utf8_damage(std::string_view text) {
    Utf8Damage damage;
    for (size_t pos = 0; pos < text.size();) {
        if (decode_one(text, pos) >= 0) continue;
        if (damage.bad_bytes++ == 0) damage.first_offset = pos;
        ++pos;
    }
    return damage;
}

void append_utf8(std::string& out, uint32_t cpt) {
    if (cpt <= 0x7F) {
        out += static_cast<char>(cpt);
    } else if (cpt <= 0x7FF) {
        out += static_cast<char>(0xC0 | (cpt >> 6));
        out += static_cast<char>(0x80 | (cpt & 0x3F));
    } else if (cpt <= 0xFFFF) {
        out += static_cast<char>(0xE0 | (cpt >> 12));
        out += static_cast<char>(0x80 | ((cpt >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cpt & 0x3F));
    } else {
        // Up to 21 bits: lead bytes F5..F7 decode above U+10FFFF, and must encode back to the
        // same bytes (llama.cpp throws on them instead).
        out += static_cast<char>(0xF0 | ((cpt >> 18) & 0x07));
        out += static_cast<char>(0x80 | ((cpt >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cpt >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cpt & 0x3F));
    }
}

std::string encode_utf8(const std::vector<uint32_t>& cpts) {
    std::string out;
    out.reserve(cpts.size());
    for (uint32_t c : cpts) append_utf8(out, c);
    return out;
}

const std::string& byte_to_unicode(uint8_t byte) { return byte_alphabet().to_unicode[byte]; }

int unicode_to_byte(uint32_t cpt) {
    const auto& table = byte_alphabet().to_byte;
    return cpt < table.size() ? table[cpt] : -1;
}

}  // namespace qframe::tok
