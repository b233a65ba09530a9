// Regular expressions over names (selectors' `re:`, quant.mix's tensor_types, plan's --pin and
// --tie): one engine for every place, PCRE2 underneath (Perl syntax, `$` only at the end as in
// ECMAScript). std::regex recurses once per character matched, so a long subject overflowed the
// stack; PCRE2 keeps its backtracking state on the heap and stops at a match limit with an error.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qframe/export.hpp"

namespace qframe {

class QFRAME_API Regex {
public:
    // Throws qframe::Error "'PATTERN' is not a regular expression (REASON at offset N)".
    explicit Regex(std::string_view pattern);
    ~Regex();
    Regex(const Regex&);
    Regex& operator=(const Regex&);
    Regex(Regex&&) noexcept;
    Regex& operator=(Regex&&) noexcept;

    // A match anywhere in the subject (std::regex_search).
    bool search(std::string_view subject) const;
    // A match spanning the whole subject (std::regex_match).
    bool matches_whole(std::string_view subject) const;
    // The first match's groups, [0] the match itself; a group that took no part is empty.
    std::optional<std::vector<std::string>> first_match(std::string_view subject) const;

    const std::string& pattern() const { return pattern_; }

private:
    struct Compiled;
    std::shared_ptr<const Compiled> compiled_;  // immutable once built: copies share it
    std::string pattern_;
};

}  // namespace qframe
