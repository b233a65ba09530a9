// Perplexity-style scoring, as llama.cpp's perplexity tool does it: the whole text tokenized
// with BOS, cut into chunks of n_ctx tokens (each chunk's first token replaced by BOS), every
// position of a chunk's second half scored by the log-probability of the token that follows.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "qframe/engine/model.hpp"
#include "qframe/stage.hpp"

namespace qframe::engine {

struct ChunkPlan {
    std::vector<int32_t> tokens;  // the whole text
    uint32_t n_ctx = 0;
    uint32_t n_chunks = 0;
    int32_t bos = -1;             // -1: the vocabulary adds no BOS

    uint32_t first_scored() const { return n_ctx / 2; }
    uint64_t scored_per_chunk() const { return n_ctx - first_scored() - 1; }
    // The chunk's tokens as evaluated (BOS first when the vocabulary uses one).
    std::vector<int32_t> chunk(uint32_t i) const;
    // The token that follows position j of chunk i (what position j is scored on).
    int32_t next_token(uint32_t i, uint32_t j) const { return tokens[static_cast<size_t>(i) * n_ctx + j + 1]; }
};

// Reads the text file and plans the chunks; throws qframe::Error when the text is too short
// (fewer than 2·n_ctx tokens, as llama.cpp requires) or unreadable.
ChunkPlan plan_chunks(const std::string& text_path, const std::vector<int32_t>& tokens, uint32_t n_ctx, uint32_t max_chunks, int32_t bos);

std::string read_text(const std::string& path);

// Log-softmax of one row of logits at `token`, as llama-perplexity computes it (float differences
// from the max, their exponentials summed in double).
double log_prob(std::span<const float> logits, int32_t token);

// Full log-softmax of a row (for KL divergence).
void log_softmax(std::span<const float> logits, std::vector<double>& out);

// KL(p ‖ q) of two next-token distributions given as log-probabilities, in double; clamped at
// zero, since rounding can make a zero divergence slightly negative.
template <class P, class Q>
double kl_divergence(std::span<const P> log_p, std::span<const Q> log_q) {
    double kld = 0;
    for (size_t t = 0; t < log_p.size(); ++t) {
        const double lp = log_p[t];
        kld += std::exp(lp) * (lp - static_cast<double>(log_q[t]));
    }
    return std::max(0.0, kld);
}

// The value at quantile p (0…1) of ascending values, nearest rank: the KLD statistics of
// eval.kl_divergence and qframe sweep.
inline double percentile(const std::vector<double>& sorted, double p) {
    return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5))];
}

// Evaluates chunk i on `context` and returns the logits of its scored positions, one row of
// n_vocab per position from first_scored() to n_ctx - 2.
std::vector<float> scored_logits(Context& context, const ChunkPlan& plan, uint32_t i);
// The same rows cut from all the chunk's logits (as eval(chunk, true) gives them).
std::vector<float> scored_rows(std::vector<float> all_logits, const ChunkPlan& plan);

}  // namespace qframe::engine
