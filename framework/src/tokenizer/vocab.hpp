// The tokenizer's state, shared by the files of src/tokenizer/: the vocabulary as read from the
// GGUF metadata, with the flags llama.cpp derives from the model and pre-tokenizer names.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "qframe/tokenizer.hpp"
#include "tokenizer/pre_tokenizer.hpp"

namespace qframe {

namespace tok {

struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringToId = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

// One key for a merge pair: the left length first keeps "a bc" and "ab c" apart.
std::string merge_key(std::string_view left, std::string_view right);

// A piece of the input: plain text still to tokenize, or a special token already recognised.
struct Fragment {
    int32_t token = -1;  // >= 0: a token
    size_t offset = 0;   // text: where it lies in the input
    size_t length = 0;
};

}  // namespace tok

struct Tokenizer::Impl {
    Tokenizer::Kind kind = Tokenizer::Kind::Spm;
    std::string model;
    std::string pre;

    std::vector<std::string> texts;
    std::vector<float> scores;
    std::vector<uint32_t> attrs;
    tok::StringToId ids;              // a text stored twice maps to its last id, as in llama.cpp
    tok::StringToId merge_ranks;      // BPE: merge_key(left, right) → rank
    std::unique_ptr<tok::PreTokenizer> pre_tokenizer;  // BPE only
    std::vector<int32_t> special_tokens;  // control, user-defined and unknown tokens, longest first

    int32_t bos = -1, eos = -1, unk = -1;
    bool add_bos = false;
    bool add_eos = false;
    bool add_space_prefix = false;  // SPM: a space goes before the text (and after special tokens)
    bool clean_spaces = false;
    bool ignore_merges = false;

    int32_t find(std::string_view text) const {
        const auto it = ids.find(text);
        return it == ids.end() ? -1 : it->second;
    }
    int32_t size() const { return static_cast<int32_t>(texts.size()); }
};

namespace tok {

std::shared_ptr<const Tokenizer::Impl> load_vocabulary(const Metadata& metadata);
// Cuts the special tokens out of `text` (control and unknown ones only with parse_special).
std::vector<Fragment> split_special_tokens(const Tokenizer::Impl& vocab, std::string_view text, bool parse_special);
// Appends the tokens of plain text (SPM: already with "▁" for spaces).
void tokenize_spm(const Tokenizer::Impl& vocab, std::string_view text, std::vector<int32_t>& out);
void tokenize_bpe(const Tokenizer::Impl& vocab, std::string_view text, std::vector<int32_t>& out);
std::string token_piece(const Tokenizer::Impl& vocab, int32_t id, bool render_special);
std::string detokenize(const Tokenizer::Impl& vocab, std::span<const int32_t> ids, bool render_special);

}  // namespace tok
}  // namespace qframe
