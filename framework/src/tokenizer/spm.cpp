// SentencePiece-style BPE (llama.cpp's llm_tokenizer_spm): start from single UTF-8 characters,
// repeatedly merge the adjacent pair whose concatenation is the highest-scoring token, and
// spell whatever is left unknown as byte tokens <0xXX>.
#include <fmt/format.h>

#include <queue>

#include "qframe/error.hpp"
#include "tokenizer/unicode.hpp"
#include "tokenizer/vocab.hpp"

namespace qframe::tok {
namespace {

// A run of the text in a doubly linked list; n == 0 once merged into its left neighbour.
struct Symbol {
    int prev;
    int next;
    size_t offset;
    size_t n;
};

struct Candidate {
    int left;
    int right;
    float score;
    size_t size;  // bytes of the merged text, to notice that a side has changed since
};

// Highest score first; on a tie the leftmost pair.
struct LowerPriority {
    bool operator()(const Candidate& a, const Candidate& b) const {
        return a.score < b.score || (a.score == b.score && a.left > b.left);
    }
};

class SpmSession {
public:
    SpmSession(const Tokenizer::Impl& vocab, std::string_view text) : vocab_(vocab), text_(text) {}

    void run(std::vector<int32_t>& out) {
        for (size_t offset = 0; offset < text_.size();) {
            const size_t n = std::min(utf8_length(text_[offset]), text_.size() - offset);
            const int index = static_cast<int>(symbols_.size());
            symbols_.push_back({index - 1, offset + n == text_.size() ? -1 : index + 1, offset, n});
            offset += n;
        }
        for (int i = 1; i < static_cast<int>(symbols_.size()); ++i) propose(i - 1, i);

        while (!queue_.empty()) {
            const Candidate c = queue_.top();
            queue_.pop();
            Symbol& left = symbols_[c.left];
            Symbol& right = symbols_[c.right];
            if (left.n == 0 || right.n == 0 || left.n + right.n != c.size) continue;  // stale
            left.n += right.n;
            right.n = 0;
            left.next = right.next;
            if (right.next >= 0) symbols_[right.next].prev = c.left;
            propose(left.prev, c.left);
            propose(c.left, left.next);
        }

        for (int i = symbols_.empty() ? -1 : 0; i != -1; i = symbols_[i].next) emit(symbols_[i], out);
    }

private:
    std::string_view piece(const Symbol& s, size_t n) const { return text_.substr(s.offset, n); }

    void propose(int left, int right) {
        if (left == -1 || right == -1) return;
        const size_t n = symbols_[left].n + symbols_[right].n;
        const int32_t id = vocab_.find(piece(symbols_[left], n));
        if (id < 0) return;
        queue_.push({left, right, vocab_.scores[id], n});
    }

    // Every merged run is a token by construction; only single characters can be unknown.
    void emit(const Symbol& s, std::vector<int32_t>& out) const {
        const std::string_view text = piece(s, s.n);
        if (const int32_t id = vocab_.find(text); id >= 0) {
            out.push_back(id);
            return;
        }
        for (char byte : text) out.push_back(byte_token(static_cast<uint8_t>(byte)));
    }

    int32_t byte_token(uint8_t byte) const {
        if (const int32_t id = vocab_.find(fmt::format("<0x{:02X}>", byte)); id >= 0) return id;
        if (const int32_t id = vocab_.find(std::string(1, static_cast<char>(byte))); id >= 0) return id;
        throw Error(fmt::format("tokenizer: byte 0x{:02X} has no token (no <0x{:02X}> in the vocabulary)", byte, byte));
    }

    const Tokenizer::Impl& vocab_;
    std::string_view text_;
    std::vector<Symbol> symbols_;
    std::priority_queue<Candidate, std::vector<Candidate>, LowerPriority> queue_;
};

}  // namespace

void tokenize_spm(const Tokenizer::Impl& vocab, std::string_view text, std::vector<int32_t>& out) {
    SpmSession(vocab, text).run(out);
}

}  // namespace qframe::tok
