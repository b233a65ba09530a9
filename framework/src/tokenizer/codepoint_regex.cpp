#include "tokenizer/codepoint_regex.hpp"

#include <fmt/format.h>

#include "pcre2_pattern.hpp"
#include "qframe/error.hpp"

namespace qframe::tok {

struct CodepointRegex::Compiled : pcre2::Pattern<32> {
    using Pattern::Pattern;
};

CodepointRegex::CodepointRegex(std::span<const uint32_t> pattern, const std::string& shown) : shown_(shown) {
    auto compiled = std::make_shared<Compiled>(pattern.data(), pattern.size());
    if (!compiled->compiled())
        throw Error(fmt::format("pre-tokenizer expression {} does not compile: {} at offset {}", shown, compiled->error(), compiled->error_offset()));
    compiled_ = std::move(compiled);
}

std::vector<std::pair<size_t, size_t>> CodepointRegex::matches(std::span<const uint32_t> text) const {
    auto match = compiled_->new_match();
    const PCRE2_SIZE* ovector = match.ovector();
    const auto match_at = [&](size_t start, uint32_t options) {
        const int rc = compiled_->match(text.data(), text.size(), start, options, match);
        if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
            throw Error(fmt::format("pre-tokenizer expression {} on a piece of {} code points: {}", shown_, text.size(), pcre2::message<32>(rc)));
        return rc >= 0;
    };

    std::vector<std::pair<size_t, size_t>> out;
    size_t start = 0;
    while (start <= text.size() && match_at(start, 0)) {
        size_t begin = ovector[0], end = ovector[1];
        // After an empty match std::regex_iterator first tries a non-empty one at the same place,
        // then searches on from the next code point.
        while (begin == end) {
            out.emplace_back(begin, 0);
            if (match_at(begin, PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED)) {
                begin = ovector[0], end = ovector[1];
                break;
            }
            if (begin + 1 > text.size() || !match_at(begin + 1, 0)) return out;
            begin = ovector[0], end = ovector[1];
        }
        out.emplace_back(begin, end - begin);
        start = end;
    }
    return out;
}

}  // namespace qframe::tok
