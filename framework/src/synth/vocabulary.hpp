// A SentencePiece-style ("llama") vocabulary that llama.cpp loads and tokenizes with: control
// tokens, 256 byte-fallback tokens, then pieces each reachable by merging two shorter pieces.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qframe::synth {

// llama.cpp's token types (llama_token_type).
enum TokenType : int32_t { kNormal = 1, kUnknown = 2, kControl = 3, kByte = 6 };

struct Vocabulary {
    std::vector<std::string> tokens;
    std::vector<float> scores;  // higher merges first
    std::vector<int32_t> types;
    uint32_t unk_id = 0, bos_id = 1, eos_id = 2;
};

// Exactly n_vocab tokens (n_vocab must be at least 300); `controls` (a chat format's markers)
// become control tokens right after </s>.
Vocabulary make_spm_vocabulary(uint32_t n_vocab, std::span<const std::string_view> controls = {});

}  // namespace qframe::synth
