// Byte-level BPE (llama.cpp's llm_tokenizer_bpe): the pre-tokenizer cuts the text into words in
// the byte-level alphabet; in each word the adjacent pair with the best (lowest) merge rank is
// merged until no pair has a rank.
#include <functional>

#include "tokenizer/merge_symbols.hpp"
#include "tokenizer/vocab.hpp"

namespace qframe::tok {
namespace {

// The word's final pieces, in order.
std::vector<std::string_view> merge_word(const Tokenizer::Impl& vocab, std::string_view word) {
    if (vocab.ignore_merges && vocab.find(word) >= 0) return {word};
    const auto rank = [&vocab](std::string_view left, std::string_view right) -> std::optional<int32_t> {
        const auto it = vocab.merge_ranks.find(merge_key(left, right));
        if (it == vocab.merge_ranks.end()) return std::nullopt;
        return it->second;
    };
    return merge_symbols(word, rank, std::less<int32_t>());
}

}  // namespace

void tokenize_bpe(const Tokenizer::Impl& vocab, std::string_view text, std::vector<int32_t>& out) {
    for (const std::string& word : vocab.pre_tokenizer->split(text)) {
        for (std::string_view piece : merge_word(vocab, word)) {
            if (const int32_t id = vocab.find(piece); id >= 0) {
                out.push_back(id);
                continue;
            }
            // A piece without a token: each single byte that is a token, the rest dropped
            // (llama.cpp does the same; with a complete byte alphabet it never happens).
            for (char byte : piece)
                if (const int32_t id = vocab.find(std::string_view(&byte, 1)); id >= 0) out.push_back(id);
        }
    }
}

}  // namespace qframe::tok
