// Cuts special tokens out of the input before the tokenizer proper sees it, the way llama.cpp's
// tokenizer_st_partition does: one token at a time, longest first, each one searched in the
// text pieces the previous ones left.
#include "tokenizer/vocab.hpp"

namespace qframe::tok {
namespace {

// isspace() in the C locale; bytes above ASCII are never white space here.
bool is_c_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

}  // namespace

std::vector<Fragment> split_special_tokens(const Tokenizer::Impl& vocab, std::string_view text, bool parse_special) {
    std::vector<Fragment> fragments;
    if (text.empty()) return fragments;
    fragments.push_back({-1, 0, text.size()});

    for (const int32_t id : vocab.special_tokens) {
        const uint32_t attr = vocab.attrs[id];
        // User-defined tokens are matched even without parse_special (as Hugging Face does).
        if (!parse_special && (attr & (kTokenControl | kTokenUnknown))) continue;
        const std::string& special = vocab.texts[id];

        std::vector<Fragment> next;
        next.reserve(fragments.size() + 2);
        for (const Fragment& f : fragments) {
            if (f.token >= 0) {
                next.push_back(f);
                continue;
            }
            size_t begin = f.offset, end = f.offset + f.length;
            while (begin < end) {
                const size_t match = text.substr(0, end).find(special, begin);
                if (match == std::string_view::npos) break;
                size_t left_end = match;
                if (attr & kTokenLstrip)
                    while (left_end > begin && is_c_space(text[left_end - 1])) --left_end;
                if (left_end > begin) next.push_back({-1, begin, left_end - begin});
                next.push_back({id, 0, 0});
                begin = match + special.size();
                if (attr & kTokenRstrip)
                    while (begin < end && is_c_space(text[begin])) ++begin;
            }
            if (begin < end) next.push_back({-1, begin, end - begin});
        }
        fragments = std::move(next);
    }
    return fragments;
}

}  // namespace qframe::tok
