// The Unicode facts the tokenizers need: UTF-8 decoding as llama.cpp does it (bad bytes become
// U+FFFD one byte at a time), each code point's general category group, and GPT-2's byte-level
// alphabet (every byte shown as a printable code point).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qframe::tok {

// One bit per general category group, as the regex classes \p{N}, \p{L}… name them.
enum CategoryFlag : uint8_t {
    kUndefined = 1 << 0,    // unassigned (Cn)
    kNumber = 1 << 1,       // \p{N}
    kLetter = 1 << 2,       // \p{L}
    kSeparator = 1 << 3,    // \p{Z}
    kMark = 1 << 4,         // \p{M}
    kPunctuation = 1 << 5,  // \p{P}
    kSymbol = 1 << 6,       // \p{S}
    kControl = 1 << 7,      // \p{C} other than Cn
};

struct CategoryRange {
    uint32_t first;
    uint8_t flags;
};

struct CodepointInfo {
    uint8_t category = 0;     // one CategoryFlag; 0 only for "no code point" (past the end)
    bool whitespace = false;  // the White_Space property (regex \s)

    bool is_letter() const { return category & kLetter; }
    bool is_number() const { return category & kNumber; }
    bool exists() const { return category != 0 || whitespace; }
};

CodepointInfo codepoint_info(uint32_t cpt);

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Bytes in a UTF-8 sequence judged by its first byte (1 for a stray continuation byte).
size_t utf8_length(char first_byte);
std::vector<uint32_t> decode_utf8(std::string_view text);
// The bytes decode_utf8 would read as U+FFFD: how many, and where the first is.
struct Utf8Damage {
    size_t bad_bytes = 0;
    size_t first_offset = 0;
};
Utf8Damage utf8_damage(std::string_view text);
void append_utf8(std::string& out, uint32_t cpt);
std::string encode_utf8(const std::vector<uint32_t>& cpts);

// GPT-2's byte-level alphabet: byte → UTF-8 of its printable stand-in, and back (-1: none).
const std::string& byte_to_unicode(uint8_t byte);
int unicode_to_byte(uint32_t cpt);

}  // namespace qframe::tok
