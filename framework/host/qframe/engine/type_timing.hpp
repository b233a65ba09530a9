// What the engine's matrix products cost in time for one weight type: the table `qframe
// bench-types` makes (docs/speed.md). Timed inside whole passes, not alone: a one-token product
// of a small matrix is mostly the threads' hand-over, which a pass and a loop of lone products
// pay differently. Chosen matrices get weights of random values (a product's speed does not
// depend on them) encoded in the type; the pass profiles each weight's products.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "qframe/engine/model.hpp"
#include "qframe/engine/pass_timing.hpp"
#include "qframe/gguf.hpp"
#include "qframe/types.hpp"

namespace qframe::engine {

struct TimingOptions {
    uint32_t prompt_tokens = 512;  // the prompt, one batch (llama-bench's -p 512)
    uint32_t gen_tokens = 32;      // generated after it (llama-bench's -n)
    unsigned threads = 1;
    unsigned repetitions = 5;      // timed passes, after one warm-up
    double min_seconds = 2;        // and more until the timed passes took this long
    Numerics numerics = Numerics::ggml;
};

struct WeightTiming {
    double prompt_seconds = 0;      // in a prompt, per token (the mean over the repetitions)
    double generation_seconds = 0;  // per generated token
};

// Whether `type` can be timed at rows `cols` values long: the codecs encode and decode it and
// cols is a whole number of its blocks.
bool can_time(TensorType type, size_t cols);

// The matrices a timing pass gives the type: every matrix of the first, middle and last layers
// and those outside the layers, plus one of any shape they miss.
std::vector<std::string> timing_sample(const GgufFile& file, std::span<const std::string> matrices);

struct TypePassTiming {
    std::map<std::string, WeightTiming> weights;
    PassSeconds rest;  // the median pass less every product's mean time in it: attention, norms, …
};

// Each of `weights`' product time in passes of `file`'s model with those weights at `type` (the
// others as the file has them). Throws qframe::Error where can_time is false for one of them.
TypePassTiming time_in_pass(const GgufFile& file, TensorType type, std::span<const std::string> weights, const TimingOptions& options);

// A profiled pass less its products.
PassSeconds rest_of(const PassProfile& profile);

}  // namespace qframe::engine
