// Token ids back to text, as llama.cpp's token_to_piece and detokenize render them.
#include <fmt/format.h>

#include "qframe/error.hpp"
#include "tokenizer/unicode.hpp"
#include "tokenizer/vocab.hpp"

namespace qframe::tok {
namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // "▁", SentencePiece's space

std::string replace_space_markers(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        if (text.substr(i, kSpaceMarker.size()) == kSpaceMarker) {
            out += ' ';
            i += kSpaceMarker.size();
        } else {
            out += text[i++];
        }
    }
    return out;
}

// A byte-level BPE piece back to bytes; a code point outside the alphabet is flagged in place.
std::string bytes_of_byte_level(std::string_view text) {
    std::string out;
    for (uint32_t cpt : decode_utf8(text)) {
        if (const int byte = unicode_to_byte(cpt); byte >= 0) {
            out += static_cast<char>(byte);
            continue;
        }
        std::string utf8;
        append_utf8(utf8, cpt);
        out += "[UNK_BYTE_0x";
        for (char c : utf8) out += fmt::format("{:02x}", static_cast<uint8_t>(c));
        out += std::string(text) + "]";  // llama.cpp's marker, kept for identical output
    }
    return out;
}

// llama.cpp's clean_up_tokenization_spaces passes over the joined text.
std::string clean_spaces(const std::string& in) {
    if (in.empty()) return in;
    // " ?", " !", " .", " ,": the space goes.
    std::string a(1, in[0]);
    for (size_t i = 1; i < in.size(); ++i) {
        const char x = in[i];
        if (in[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) a.pop_back();
        a += x;
    }
    // " ' ": a quote between spaces loses both spaces. The dropped space is blanked where it
    // stood, so that it cannot serve as the left space of the next quote (as in llama.cpp).
    std::string b(1, a[0]);
    for (size_t i = 1; i < a.size(); ++i) {
        const char x = a[i];
        if (x == '\'' && i + 1 < a.size() && a[i - 1] == ' ' && a[i + 1] == ' ') {
            b.pop_back();
            a[++i] = '\0';
        }
        b += x;
    }
    // " 's", " 'm", " 're", " 've": the space goes (" 't", " 'd", " 'll" keep it).
    std::string c(1, b[0]);
    for (size_t i = 1; i < b.size(); ++i) {
        const char x = b[i];
        if (b[i - 1] == ' ' && x == '\'' && i + 1 < b.size()) {
            const char x1 = b[i + 1];
            const bool two_letter = i + 2 < b.size() && ((x1 == 'r' && b[i + 2] == 'e') || (x1 == 'v' && b[i + 2] == 'e'));
            if (x1 == 's' || x1 == 'm' || (x1 != 't' && x1 != 'd' && two_letter)) c.pop_back();
        }
        c += x;
    }
    return c;
}

}  // namespace

std::string token_piece(const Tokenizer::Impl& vocab, int32_t id, bool render_special) {
    if (id < 0 || id >= vocab.size()) throw Error(fmt::format("tokenizer: token id {} is outside the vocabulary (0..{})", id, vocab.size() - 1));
    const uint32_t attr = vocab.attrs[id];
    const std::string& text = vocab.texts[id];
    if (attr & (kTokenUnknown | kTokenControl)) return render_special ? text : std::string();
    if (attr & kTokenUserDefined) return text;
    if (vocab.kind == Tokenizer::Kind::Spm) {
        if (attr & kTokenNormal) return replace_space_markers(text);
        if (attr & kTokenByte) {
            // "<0xXX>"
            const std::string hex = text.size() >= 5 ? text.substr(3, 2) : std::string();
            return std::string(1, static_cast<char>(std::strtol(hex.c_str(), nullptr, 16)));
        }
        return {};
    }
    if (attr & kTokenNormal) return bytes_of_byte_level(text);
    return {};  // unused and undefined tokens, BPE byte tokens: nothing, as in llama.cpp
}

std::string detokenize(const Tokenizer::Impl& vocab, std::span<const int32_t> ids, bool render_special) {
    std::string out;
    bool strip_one_space = vocab.add_space_prefix;  // undo the space tokenize put in front
    for (int32_t id : ids) {
        std::string piece = token_piece(vocab, id, render_special);
        if (strip_one_space && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
        strip_one_space = false;
        out += piece;
    }
    return vocab.clean_spaces ? clean_spaces(out) : out;
}

}  // namespace qframe::tok
