#include "qframe/regex.hpp"

#include <fmt/format.h>

#include "pcre2_pattern.hpp"
#include "qframe/error.hpp"

namespace qframe {

struct Regex::Compiled : pcre2::Pattern<8> {
    using Pattern::Pattern;
};

Regex::Regex(std::string_view pattern) : pattern_(pattern) {
    auto compiled = std::make_shared<Compiled>(pattern.data(), pattern.size());
    if (!compiled->compiled())
        throw Error(fmt::format("'{}' is not a regular expression ({} at offset {})", pattern, compiled->error(), compiled->error_offset()));
    compiled_ = std::move(compiled);
}

Regex::~Regex() = default;
Regex::Regex(const Regex&) = default;
Regex& Regex::operator=(const Regex&) = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

namespace {

// The match's groups (empty unless wanted), or nothing.
std::optional<std::vector<std::string>> run(const pcre2::Pattern<8>& code, const std::string& pattern, std::string_view subject,
                                            uint32_t options, bool want_groups) {
    auto match = code.new_match();
    const int rc = code.match(subject.data(), subject.size(), 0, options, match);
    if (rc == PCRE2_ERROR_NOMATCH) return std::nullopt;
    if (rc < 0)
        throw Error(fmt::format("regular expression '{}' on a text of {} bytes: {}", pattern, subject.size(), pcre2::message<8>(rc)));
    std::vector<std::string> groups;
    if (!want_groups) return groups;
    const PCRE2_SIZE* ovector = match.ovector();
    for (uint32_t g = 0; g < match.pairs(); ++g) {
        const PCRE2_SIZE begin = ovector[2 * g], end = ovector[2 * g + 1];
        groups.emplace_back(begin == PCRE2_UNSET ? std::string_view{} : subject.substr(begin, end - begin));
    }
    return groups;
}

}  // namespace

bool Regex::search(std::string_view subject) const {
    return run(*compiled_, pattern_, subject, 0, false).has_value();
}

bool Regex::matches_whole(std::string_view subject) const {
    return run(*compiled_, pattern_, subject, PCRE2_ANCHORED | PCRE2_ENDANCHORED, false).has_value();
}

std::optional<std::vector<std::string>> Regex::first_match(std::string_view subject) const {
    return run(*compiled_, pattern_, subject, 0, true);
}

}  // namespace qframe
