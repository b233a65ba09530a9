// One compiled PCRE2 pattern of either code-unit width — 8 (qframe::Regex over UTF-8 bytes) or 32
// (the tokenizer's expressions over code points) — with what both need the same way: compiling
// with ECMAScript's `$` (end of subject only), JIT where available, and matching that falls back
// to the interpreter (heap frames) when a subject outgrows JIT's small fixed stack.
#pragma once

#define PCRE2_CODE_UNIT_WIDTH 0  // both widths' functions by their suffixed names
#include <pcre2.h>

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "qframe/error.hpp"

namespace qframe::pcre2 {

template <int Width>
struct Library;

#define QFRAME_PCRE2_LIBRARY(W)                                                                       \
    template <>                                                                                       \
    struct Library<W> {                                                                               \
        using Code = pcre2_code_##W;                                                                  \
        using MatchData = pcre2_match_data_##W;                                                       \
        using Unit = PCRE2_UCHAR##W;                                                                  \
        using Subject = PCRE2_SPTR##W;                                                                \
        static constexpr auto compile = pcre2_compile_##W;                                            \
        static constexpr auto jit_compile = pcre2_jit_compile_##W;                                    \
        static constexpr auto code_free = pcre2_code_free_##W;                                        \
        static constexpr auto match = pcre2_match_##W;                                                \
        static constexpr auto match_data_create = pcre2_match_data_create_from_pattern_##W;          \
        static constexpr auto match_data_free = pcre2_match_data_free_##W;                            \
        static constexpr auto ovector = pcre2_get_ovector_pointer_##W;                                \
        static constexpr auto ovector_count = pcre2_get_ovector_count_##W;                            \
        static constexpr auto error_message = pcre2_get_error_message_##W;                            \
    };
QFRAME_PCRE2_LIBRARY(8)
QFRAME_PCRE2_LIBRARY(32)
#undef QFRAME_PCRE2_LIBRARY

// PCRE2's message for an error code (its messages are ASCII in either width).
template <int Width>
std::string message(int code) {
    typename Library<Width>::Unit buffer[256];
    if (Library<Width>::error_message(code, buffer, 256) < 0) return fmt::format("PCRE2 error {}", code);
    std::string ascii;
    for (size_t i = 0; buffer[i]; ++i) ascii += static_cast<char>(buffer[i]);
    return ascii;
}

template <int Width>
class Pattern {
    using L = Library<Width>;

public:
    // A pattern that does not compile is not an exception here: compiled() is false and error()
    // says why, for the caller to word (it knows what the pattern is for).
    Pattern(const void* units, size_t length) {
        int error = 0;
        PCRE2_SIZE offset = 0;
        code_ = L::compile(static_cast<typename L::Subject>(units), length, PCRE2_DOLLAR_ENDONLY, &error, &offset, nullptr);
        if (!code_) {
            error_ = message<Width>(error);
            error_offset_ = offset;
            return;
        }
        L::jit_compile(code_, PCRE2_JIT_COMPLETE);  // where JIT is missing, the interpreter runs
    }
    ~Pattern() { L::code_free(code_); }
    Pattern(const Pattern&) = delete;
    Pattern& operator=(const Pattern&) = delete;

    bool compiled() const { return code_ != nullptr; }
    const std::string& error() const { return error_; }
    size_t error_offset() const { return error_offset_; }

    // Match data sized for the pattern's groups.
    struct Match {
        std::unique_ptr<typename L::MatchData, std::remove_const_t<decltype(L::match_data_free)>> data;
        const PCRE2_SIZE* ovector() const { return L::ovector(data.get()); }
        uint32_t pairs() const { return L::ovector_count(data.get()); }
    };
    Match new_match() const {
        Match m{{L::match_data_create(code_, nullptr), L::match_data_free}};
        if (!m.data) throw Error("out of memory for a regular expression's match");
        return m;
    }

    // pcre2_match from `start`, again without JIT when JIT's stack is too small: the return code
    // (< 0: PCRE2_ERROR_NOMATCH or an error, for message()).
    int match(const void* subject, size_t length, size_t start, uint32_t options, Match& m) const {
        const auto units = static_cast<typename L::Subject>(subject);
        int rc = L::match(code_, units, length, start, options, m.data.get(), nullptr);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT) rc = L::match(code_, units, length, start, options | PCRE2_NO_JIT, m.data.get(), nullptr);
        return rc;
    }

private:
    typename L::Code* code_ = nullptr;
    std::string error_;
    size_t error_offset_ = 0;
};

}  // namespace qframe::pcre2
