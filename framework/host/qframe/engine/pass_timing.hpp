// What a whole forward pass costs in time: a prompt in one batch, then greedy generation from it,
// as eval.speed and llama-bench's -p/-n time them. One repetition at a time, so callers can
// alternate models (eval.speed) or keep medians of one (qframe bench-types).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "qframe/engine/model.hpp"

namespace qframe::engine {

struct PassSeconds {
    double prompt = 0;      // the whole prompt, in one eval
    double generation = 0;  // per generated token
};

// The median of times, as every speed figure quotes them (0 for none).
double median(std::vector<double> values);

// The median of each kind of time over `passes` (0 for none).
PassSeconds median_of(std::span<const PassSeconds> passes);

// A fixed token sequence of `n` (the model's BOS, then ids spread over the vocabulary): speed
// does not depend on the text, and every model of a vocabulary sees the same ids.
std::vector<int32_t> probe_tokens(const Model& model, size_t n);

// One repetition on `context` (reset first): `prompt` in one eval, then `gen_tokens` tokens
// generated one at a time (always that many: no end-of-text stop). Where given, the clocks add
// up each weight's product time in the prompt and in the generation.
PassSeconds time_pass(Context& context, std::span<const int32_t> prompt, uint32_t gen_tokens, ProductSeconds* prompt_clock = nullptr,
                      ProductSeconds* generation_clock = nullptr);

struct PassProfile {
    PassSeconds median;  // of the repetitions, each kind of time on its own
    // Each weight's product time, the mean over the repetitions: per prompt, and per generated token.
    ProductSeconds prompt_products, generation_products;
};

// `repetitions` such passes after `warmup` unmeasured ones, and more until the measured ones took
// `min_seconds` (a small model's pass is milliseconds: one slow one must not decide); a context
// of prompt + gen_tokens positions, batch = the prompt.
PassProfile median_pass(const Model& model, uint32_t prompt_tokens, uint32_t gen_tokens, unsigned threads, Numerics numerics,
                        unsigned repetitions, unsigned warmup = 1, double min_seconds = 0);

// The median pass of each of `models` (of one vocabulary), timed in rounds of one pass each, so
// that a machine slower for a while slows them alike; rounds go on until `repetitions` and each
// model's passes took `min_seconds`. `progress(done, total)` after each round, total a guess.
std::vector<PassSeconds> median_passes_interleaved(std::span<const Model> models, uint32_t prompt_tokens, uint32_t gen_tokens, unsigned threads,
                                                   Numerics numerics, unsigned repetitions, double min_seconds,
                                                   const std::function<void(size_t, size_t)>& progress = {});

}  // namespace qframe::engine
