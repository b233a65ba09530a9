// Byte-level BPE pre-tokenization: the text is cut into words by a chain of regular expressions
// (each one re-cuts the pieces the previous ones left), then every word is rewritten in GPT-2's
// byte-level alphabet. The two most common expressions (GPT-2's and Llama-3's) have hand-written
// matchers; the others run through PCRE2 with llama.cpp's rewriting of Unicode categories, so that
// both cut alike.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/codepoint_regex.hpp"

namespace qframe::tok {

struct SplitRule {
    enum class Kind { Gpt2, Llama3, Regex };
    Kind kind = Kind::Regex;
    std::string pattern;  // the expression as the tokenizer's author wrote it (Regex only)
};

// What `tokenizer.ggml.pre` selects: the rules and the flags llama.cpp attaches to that name.
struct PreTokenizerSpec {
    std::string name;
    std::vector<SplitRule> rules;
    bool clean_spaces = true;    // decode drops spaces before . , ! ? and some contractions
    bool ignore_merges = false;  // a word that is itself a token is taken whole
    bool add_bos = false;        // default of tokenizer.ggml.add_bos_token
    bool no_bos = false;         // the vocabulary has no BOS token at all
};

// nullptr for a name llama.cpp does not know.
const PreTokenizerSpec* find_pre_tokenizer(std::string_view name);
std::vector<std::string_view> pre_tokenizer_names();

class PreTokenizer {
public:
    explicit PreTokenizer(const std::vector<SplitRule>& rules);
    // Words in the byte-level alphabet, in text order; their concatenation encodes all of `text`
    // (invalid UTF-8 bytes become U+FFFD first).
    std::vector<std::string> split(std::string_view text) const;

private:
    struct CompiledRule {
        SplitRule::Kind kind;
        bool on_categories = false;  // the expression uses \p{..}: it runs on category stand-ins
        std::optional<CodepointRegex> expression;  // Regex only
    };
    std::vector<CompiledRule> rules_;
};

}  // namespace qframe::tok
