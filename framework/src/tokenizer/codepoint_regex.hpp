// A pre-tokenizer expression matched over code points: PCRE2's 32-bit library, each code point one
// code unit, no UTF checks (category stand-ins are code points of their own). Matches are visited
// as std::regex_iterator visits them — llama.cpp cuts with std::regex — but without its recursion
// per character, which overflowed the stack on a long run of letters or spaces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace qframe::tok {

class CodepointRegex {
public:
    // Throws qframe::Error naming the expression (`shown`, as its author wrote it) and PCRE2's reason.
    CodepointRegex(std::span<const uint32_t> pattern, const std::string& shown);
    // Each match in `text` as {offset, length}, in order. ECMAScript's `$` (end of text only).
    std::vector<std::pair<size_t, size_t>> matches(std::span<const uint32_t> text) const;

private:
    struct Compiled;
    std::shared_ptr<const Compiled> compiled_;
    std::string shown_;
};

}  // namespace qframe::tok
