#include "synth/vocabulary.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <unordered_set>

namespace qframe::synth {
namespace {

constexpr const char* kSpace = "\xE2\x96\x81";  // U+2581, SentencePiece's word-start marker

// Words common in TinyStories-like text come first so that short prompts tokenize naturally.
constexpr const char* kWords[] = {
    "the", "a", "and", "was", "to", "he", "she", "they", "it", "of", "in", "on", "with", "her", "his", "there",
    "once", "upon", "time", "little", "girl", "boy", "named", "lily", "tom", "day", "happy", "play", "park",
    "mom", "dad", "dog", "cat", "big", "saw", "said", "went", "wanted", "friend", "is", "be", "you", "we",
    "what", "yes", "no", "hello", "good", "very", "were", "had", "not", "for", "that", "so", "but", "sun",
};

class Builder {
public:
    explicit Builder(uint32_t n_vocab) : n_vocab_(n_vocab) {}

    bool full() const { return v_.tokens.size() >= n_vocab_; }
    Vocabulary take() { return std::move(v_); }

    void add(std::string piece, int32_t type, float score) {
        if (full() || !seen_.insert(piece).second) return;
        v_.tokens.push_back(std::move(piece));
        v_.types.push_back(type);
        v_.scores.push_back(score);
    }
    // A normal piece; later pieces get lower scores, so they merge later.
    void add_piece(const std::string& piece) { add(piece, kNormal, -static_cast<float>(v_.tokens.size())); }
    // Adds every prefix of `word` (each one character longer), so that the tokenizer can reach
    // the whole word by pairwise merges.
    void add_chain(const std::string& prefix, const std::string& word) {
        std::string piece = prefix;
        for (char c : word) {
            piece += c;
            add_piece(piece);
        }
    }

private:
    uint32_t n_vocab_;
    Vocabulary v_;
    std::unordered_set<std::string> seen_;
};

}  // namespace

Vocabulary make_spm_vocabulary(uint32_t n_vocab, std::span<const std::string_view> controls) {
    if (n_vocab < 300) throw std::invalid_argument("a synthesized vocabulary needs at least 300 tokens");
    Builder b(n_vocab);
    b.add("<unk>", kUnknown, 0);
    b.add("<s>", kControl, 0);
    b.add("</s>", kControl, 0);
    for (std::string_view c : controls) b.add(std::string(c), kControl, 0);
    for (int byte = 0; byte < 256; ++byte) b.add(fmt::format("<0x{:02X}>", byte), kByte, 0);

    b.add_piece(kSpace);
    const std::string letters = "abcdefghijklmnopqrstuvwxyz";
    const std::string others = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'\"-:;()";
    for (char c : letters + others) b.add_piece(std::string(1, c));
    for (char c : letters + others) b.add_piece(kSpace + std::string(1, c));
    for (const char* w : kWords) b.add_chain(kSpace, w);
    // Fill the rest with letter pairs, then triples, with and without the word-start marker.
    for (const std::string& prefix : {std::string(kSpace), std::string()})
        for (char c1 : letters)
            for (char c2 : letters) b.add_chain(prefix, std::string{c1, c2});
    for (char c1 : letters)
        for (char c2 : letters)
            for (char c3 : letters)
                for (const std::string& prefix : {std::string(kSpace), std::string()}) b.add_chain(prefix, std::string{c1, c2, c3});
    for (uint32_t i = 0; !b.full(); ++i) b.add(fmt::format("<extra_{}>", i), kNormal, -1e9f);  // only for huge vocabularies
    return b.take();
}

}  // namespace qframe::synth
