#include "qframe/regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <fmt/format.h>

#include "qframe/error.hpp"

namespace qframe {
namespace {

std::string pcre2_message(int code) {
    PCRE2_UCHAR buffer[256];
    return pcre2_get_error_message(code, buffer, sizeof buffer) < 0 ? fmt::format("PCRE2 error {}", code)
                                                                   : reinterpret_cast<const char*>(buffer);
}

}  // namespace

struct Regex::Compiled {
    pcre2_code* code = nullptr;
    ~Compiled() { pcre2_code_free(code); }
};

Regex::Regex(std::string_view pattern) : pattern_(pattern) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    auto compiled = std::make_shared<Compiled>();
    compiled->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_DOLLAR_ENDONLY,
                                   &error, &offset, nullptr);
    if (!compiled->code)
        throw Error(fmt::format("'{}' is not a regular expression ({} at offset {})", pattern, pcre2_message(error), offset));
    pcre2_jit_compile(compiled->code, PCRE2_JIT_COMPLETE);  // where JIT is missing, the interpreter runs
    compiled_ = std::move(compiled);
}

Regex::~Regex() = default;
Regex::Regex(const Regex&) = default;
Regex& Regex::operator=(const Regex&) = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

namespace {

// The match's groups, or nothing. JIT's stack is small and fixed: a subject that outgrows it is
// matched again by the interpreter, whose frames live on the heap.
std::optional<std::vector<std::string>> run(const pcre2_code* code, const std::string& pattern, std::string_view subject,
                                            uint32_t options, bool want_groups) {
    using MatchData = std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)>;
    const MatchData data(pcre2_match_data_create_from_pattern(code, nullptr), &pcre2_match_data_free);
    if (!data) throw Error("out of memory for a regular expression's match");
    const auto subject_ptr = reinterpret_cast<PCRE2_SPTR>(subject.data());
    int rc = pcre2_match(code, subject_ptr, subject.size(), 0, options, data.get(), nullptr);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
        rc = pcre2_match(code, subject_ptr, subject.size(), 0, options | PCRE2_NO_JIT, data.get(), nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) return std::nullopt;
    if (rc < 0)
        throw Error(fmt::format("regular expression '{}' on a text of {} bytes: {}", pattern, subject.size(), pcre2_message(rc)));
    std::vector<std::string> groups;
    if (!want_groups) return groups;
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
    const uint32_t count = pcre2_get_ovector_count(data.get());
    for (uint32_t g = 0; g < count; ++g) {
        const PCRE2_SIZE begin = ovector[2 * g], end = ovector[2 * g + 1];
        groups.emplace_back(begin == PCRE2_UNSET ? std::string_view{} : subject.substr(begin, end - begin));
    }
    return groups;
}

}  // namespace

bool Regex::search(std::string_view subject) const {
    return run(compiled_->code, pattern_, subject, 0, false).has_value();
}

bool Regex::matches_whole(std::string_view subject) const {
    return run(compiled_->code, pattern_, subject, PCRE2_ANCHORED | PCRE2_ENDANCHORED, false).has_value();
}

std::optional<std::vector<std::string>> Regex::first_match(std::string_view subject) const {
    return run(compiled_->code, pattern_, subject, 0, true);
}

}  // namespace qframe
