// The merge loop of both BPE flavours (llama.cpp's llm_tokenizer_spm and llm_tokenizer_bpe): the
// text starts as single UTF-8 characters in a doubly linked list, and the adjacent pair that
// merges first is merged, again and again, until no adjacent pair may merge. The flavours differ
// only in what orders the pairs: SPM merges the highest-scoring token first, BPE the lowest
// merge rank. Ties go to the leftmost pair.
#pragma once

#include <algorithm>
#include <optional>
#include <queue>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tokenizer/unicode.hpp"

namespace qframe::tok {

// Two adjacent pieces of one text as one piece.
inline std::string_view joined(std::string_view left, std::string_view right) {
    return {left.data(), left.size() + right.size()};
}

// `priority_of(left, right)`: the priority of merging two adjacent pieces, nullopt when they do
// not merge. `before(a, b)`: whether priority a merges before priority b. Returns the pieces
// left at the end, in text order.
template <class PriorityOf, class Before>
std::vector<std::string_view> merge_symbols(std::string_view text, PriorityOf priority_of, Before before) {
    using Priority = typename std::invoke_result_t<PriorityOf&, std::string_view, std::string_view>::value_type;
    // A run of the text; n == 0 once merged into its left neighbour.
    struct Symbol {
        int prev;
        int next;
        size_t offset;
        size_t n;
    };
    struct Candidate {
        int left;
        int right;
        Priority priority;
        size_t size;  // bytes of the merged text, to notice that a side has changed since
    };
    const auto merges_later = [&before](const Candidate& a, const Candidate& b) {
        return before(b.priority, a.priority) || (a.priority == b.priority && a.left > b.left);
    };

    std::vector<Symbol> symbols;
    std::priority_queue<Candidate, std::vector<Candidate>, decltype(merges_later)> queue(merges_later);
    const auto piece = [&](const Symbol& s) { return text.substr(s.offset, s.n); };
    const auto propose = [&](int left, int right) {
        if (left == -1 || right == -1) return;
        const std::optional<Priority> priority = priority_of(piece(symbols[left]), piece(symbols[right]));
        if (priority) queue.push({left, right, *priority, symbols[left].n + symbols[right].n});
    };

    for (size_t offset = 0; offset < text.size();) {
        const size_t n = std::min(utf8_length(text[offset]), text.size() - offset);
        const int index = static_cast<int>(symbols.size());
        symbols.push_back({index - 1, offset + n == text.size() ? -1 : index + 1, offset, n});
        offset += n;
    }
    for (int i = 1; i < static_cast<int>(symbols.size()); ++i) propose(i - 1, i);

    while (!queue.empty()) {
        const Candidate c = queue.top();
        queue.pop();
        Symbol& left = symbols[c.left];
        Symbol& right = symbols[c.right];
        // Sides only grow, and a left side only by taking its right one: the size tells.
        if (left.n == 0 || right.n == 0 || left.n + right.n != c.size) continue;  // stale
        left.n += right.n;
        right.n = 0;
        left.next = right.next;
        if (right.next >= 0) symbols[right.next].prev = c.left;
        propose(left.prev, c.left);
        propose(c.left, left.next);
    }

    std::vector<std::string_view> pieces;
    for (const Symbol& s : symbols)
        if (s.n > 0) pieces.push_back(piece(s));
    return pieces;
}

}  // namespace qframe::tok
