// Byte-level BPE (llama.cpp's llm_tokenizer_bpe): the pre-tokenizer cuts the text into words in
// the byte-level alphabet; in each word the adjacent pair with the best (lowest) merge rank is
// merged until no pair has a rank.
#include <queue>

#include "tokenizer/unicode.hpp"
#include "tokenizer/vocab.hpp"

namespace qframe::tok {
namespace {

struct Symbol {
    int prev;
    int next;
    size_t offset;
    size_t n;
};

struct Candidate {
    int left;
    int right;
    int32_t rank;
    std::string text;  // the merged text, to notice that a side has changed since
};

// Lowest rank first; on a tie the leftmost pair.
struct LowerPriority {
    bool operator()(const Candidate& a, const Candidate& b) const {
        return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
    }
};

class WordMerger {
public:
    WordMerger(const Tokenizer::Impl& vocab, std::string_view word) : vocab_(vocab), word_(word) {}

    // The word's final pieces, in order.
    std::vector<std::string_view> run() {
        if (vocab_.ignore_merges && vocab_.find(word_) >= 0) return {word_};
        for (size_t offset = 0; offset < word_.size();) {
            const size_t n = std::min(utf8_length(word_[offset]), word_.size() - offset);
            const int index = static_cast<int>(symbols_.size());
            symbols_.push_back({index - 1, offset + n == word_.size() ? -1 : index + 1, offset, n});
            offset += n;
        }
        for (int i = 1; i < static_cast<int>(symbols_.size()); ++i) propose(i - 1, i);

        while (!queue_.empty()) {
            const Candidate c = queue_.top();
            queue_.pop();
            Symbol& left = symbols_[c.left];
            Symbol& right = symbols_[c.right];
            if (left.n == 0 || right.n == 0) continue;
            if (text(left).size() + text(right).size() != c.text.size() || !c.text.starts_with(text(left)) ||
                !c.text.ends_with(text(right)))
                continue;  // stale: a side has been merged with something else since
            left.n += right.n;
            right.n = 0;
            left.next = right.next;
            if (right.next >= 0) symbols_[right.next].prev = c.left;
            propose(left.prev, c.left);
            propose(c.left, left.next);
        }

        std::vector<std::string_view> pieces;
        for (const Symbol& s : symbols_)
            if (s.n > 0) pieces.push_back(text(s));
        return pieces;
    }

private:
    std::string_view text(const Symbol& s) const { return word_.substr(s.offset, s.n); }

    void propose(int left, int right) {
        if (left == -1 || right == -1) return;
        const auto it = vocab_.merge_ranks.find(merge_key(text(symbols_[left]), text(symbols_[right])));
        if (it == vocab_.merge_ranks.end()) return;
        std::string merged(text(symbols_[left]));
        merged += text(symbols_[right]);
        queue_.push({left, right, it->second, std::move(merged)});
    }

    const Tokenizer::Impl& vocab_;
    std::string_view word_;
    std::vector<Symbol> symbols_;
    std::priority_queue<Candidate, std::vector<Candidate>, LowerPriority> queue_;
};

}  // namespace

void tokenize_bpe(const Tokenizer::Impl& vocab, std::string_view text, std::vector<int32_t>& out) {
    for (const std::string& word : vocab.pre_tokenizer->split(text)) {
        for (std::string_view piece : WordMerger(vocab, word).run()) {
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
