#include "tokenizer/codepoint_regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 32
#include <pcre2.h>

#include <fmt/format.h>

#include "qframe/error.hpp"

namespace qframe::tok {
namespace {

std::string pcre2_message(int code) {
    PCRE2_UCHAR buffer[256];
    if (pcre2_get_error_message(code, buffer, 256) < 0) return fmt::format("PCRE2 error {}", code);
    std::string ascii;  // PCRE2's messages are ASCII
    for (size_t i = 0; buffer[i]; ++i) ascii += static_cast<char>(buffer[i]);
    return ascii;
}

}  // namespace

struct CodepointRegex::Compiled {
    pcre2_code* code = nullptr;
    ~Compiled() { pcre2_code_free(code); }
};

CodepointRegex::CodepointRegex(std::span<const uint32_t> pattern, const std::string& shown) : shown_(shown) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    auto compiled = std::make_shared<Compiled>();
    compiled->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_DOLLAR_ENDONLY,
                                   &error, &offset, nullptr);
    if (!compiled->code)
        throw Error(fmt::format("pre-tokenizer expression {} does not compile: {} at offset {}", shown, pcre2_message(error), offset));
    pcre2_jit_compile(compiled->code, PCRE2_JIT_COMPLETE);  // where JIT is missing, the interpreter runs
    compiled_ = std::move(compiled);
}

std::vector<std::pair<size_t, size_t>> CodepointRegex::matches(std::span<const uint32_t> text) const {
    using MatchData = std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)>;
    const MatchData data(pcre2_match_data_create_from_pattern(compiled_->code, nullptr), &pcre2_match_data_free);
    if (!data) throw Error("out of memory for a pre-tokenizer expression's match");
    const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
    // JIT's stack is small and fixed: what outgrows it runs again in the interpreter (heap frames).
    const auto match_at = [&](size_t start, uint32_t options) {
        int rc = pcre2_match(compiled_->code, subject, text.size(), start, options, data.get(), nullptr);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
            rc = pcre2_match(compiled_->code, subject, text.size(), start, options | PCRE2_NO_JIT, data.get(), nullptr);
        if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
            throw Error(fmt::format("pre-tokenizer expression {} on a piece of {} code points: {}", shown_, text.size(), pcre2_message(rc)));
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
