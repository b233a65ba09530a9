// The generated Unicode tables and the pre-tokenizers' word splitting.
#include <catch2/catch.hpp>

#include "tokenizer/pre_tokenizer.hpp"
#include "tokenizer/unicode.hpp"

using namespace qframe::tok;

TEST_CASE("code points have their general category group", "[tokenizer][unicode]") {
    CHECK(codepoint_info('A').is_letter());
    CHECK(codepoint_info('5').is_number());
    CHECK(codepoint_info(' ').whitespace);
    CHECK(codepoint_info(0x00A0).whitespace);                   // no-break space
    CHECK(codepoint_info(0x00A0).category == kSeparator);
    CHECK(codepoint_info(0x4E00).is_letter());                  // CJK ideograph, inside a First/Last range
    CHECK(codepoint_info(0x2EBF0).is_letter());                 // CJK Extension I (Unicode 15.1, added by the script)
    CHECK(codepoint_info(0x00BD).is_number());                  // ½ (No)
    CHECK(codepoint_info(0x0301).category == kMark);            // combining acute accent
    CHECK(codepoint_info(0x1F999).category == kSymbol);         // 🦙
    CHECK(codepoint_info('~').category == kSymbol);
    CHECK(codepoint_info(0xE000).category == kControl);         // private use (Co)
    CHECK(codepoint_info(0x0378).category == kUndefined);       // unassigned
    CHECK(codepoint_info(0x10FFFF + 1).category == kUndefined);
}

TEST_CASE("UTF-8 decoding replaces bad bytes one at a time, as llama.cpp does", "[tokenizer][unicode]") {
    CHECK(decode_utf8("a\xC3\xA9") == std::vector<uint32_t>{'a', 0xE9});
    CHECK(decode_utf8("\xFF" "b") == std::vector<uint32_t>{kReplacementChar, 'b'});
    CHECK(decode_utf8("\xE2\x96") == std::vector<uint32_t>{kReplacementChar, kReplacementChar});
    CHECK(encode_utf8({0x1F999}) == "\xF0\x9F\xA6\x99");
    // Lead bytes F5..F7 give code points above U+10FFFF; they encode back to the same bytes.
    CHECK(encode_utf8(decode_utf8("\xF7\xBF\xBF\xBF")) == "\xF7\xBF\xBF\xBF");
}

TEST_CASE("GPT-2's byte-level alphabet maps every byte to a printable code point", "[tokenizer][unicode]") {
    CHECK(byte_to_unicode(' ') == "\xC4\xA0");   // Ġ
    CHECK(byte_to_unicode('\n') == "\xC4\x8A");  // Ċ
    CHECK(byte_to_unicode('a') == "a");
    for (int b = 0; b < 256; ++b) {
        const auto cpts = decode_utf8(byte_to_unicode(static_cast<uint8_t>(b)));
        REQUIRE(cpts.size() == 1);
        CHECK(unicode_to_byte(cpts[0]) == b);
    }
}

namespace {

std::vector<std::string> split_with(const std::string& pre, const std::string& text) {
    const PreTokenizerSpec* spec = find_pre_tokenizer(pre);
    REQUIRE(spec != nullptr);
    return PreTokenizer(spec->rules).split(text);
}

}  // namespace

TEST_CASE("Llama-3's pre-tokenizer cuts words as its regular expression does", "[tokenizer][pre]") {
    using W = std::vector<std::string>;
    // Ġ is the byte-level space, Ċ the newline.
    CHECK(split_with("llama-bpe", "Hello world") == W{"Hello", "\xC4\xA0world"});
    CHECK(split_with("llama-bpe", "3333333") == W{"333", "333", "3"});
    CHECK(split_with("llama-bpe", "    Hello") == W{"\xC4\xA0\xC4\xA0\xC4\xA0", "\xC4\xA0Hello"});
    CHECK(split_with("llama-bpe", "\n\n\n") == W{"\xC4\x8A\xC4\x8A\xC4\x8A"});
    CHECK(split_with("llama-bpe", "Hello, y'all! I'M") == W{"Hello", ",", "\xC4\xA0y", "'all", "!", "\xC4\xA0I", "'M"});
    CHECK(split_with("llama-bpe", "' era") == W{"'", "\xC4\xA0" "era"});
    CHECK(split_with("gpt-2", "I'M 42") == W{"I", "'", "M", "\xC4\xA0" "42"});  // GPT-2's contractions are lower case
}

TEST_CASE("every pre-tokenizer llama.cpp names compiles and splits", "[tokenizer][pre]") {
    const std::string text = "Hello, y'all! 3333 \xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\xA6\x99  \n\tok ...";
    for (std::string_view name : pre_tokenizer_names()) {
        INFO(std::string(name));
        const auto words = split_with(std::string(name), text);
        std::string joined;
        for (const auto& w : words) joined += w;
        std::string expected;  // splitting never loses or adds text
        for (char c : text) expected += byte_to_unicode(static_cast<uint8_t>(c));
        CHECK(joined == expected);
    }
    CHECK(find_pre_tokenizer("klingon") == nullptr);
}

TEST_CASE("general expressions cut long runs without exhausting the stack", "[tokenizer][pre]") {
    // std::regex recursed once per character: 200k letters, spaces or digits overflowed the stack.
    const size_t n = 200000;
    const std::string space = "\xC4\xA0";  // Ġ
    const auto letters = split_with("qwen2", std::string(n, 'a'));
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].size() == n);
    // \s+(?!\S) takes the spaces but the last, which goes with the word after them.
    const auto spaces = split_with("qwen2", std::string(n, ' ') + "a");
    REQUIRE(spaces.size() == 2);
    CHECK(spaces[0].size() == (n - 1) * space.size());
    CHECK(spaces[1] == space + "a");
    CHECK(split_with("qwen2", std::string(n, '7')).size() == n);  // Qwen2 takes digits one at a time
    // Code points matched without category stand-ins (deepseek-llm's explicit ranges).
    std::string cjk;
    for (size_t i = 0; i < n; ++i) cjk += "\xE4\xB8\x80";  // 一
    CHECK(split_with("deepseek-llm", cjk).size() == 1);
}
