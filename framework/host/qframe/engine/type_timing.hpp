// What the engine's matrix product costs in time for one weight type and shape: the table
// `qframe bench-types` makes (docs/speed.md). Weights of random values (a product's speed does
// not depend on them) encoded in the type, multiplied as the forward pass multiplies them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qframe/engine/model.hpp"
#include "qframe/types.hpp"

namespace qframe::engine {

struct TimingOptions {
    uint32_t prompt_tokens = 512;  // the prompt batch (llama-bench's -p 512)
    unsigned threads = 1;
    unsigned repetitions = 5;      // timed repetitions, after one warm-up
    double min_seconds = 0.05;     // a repetition repeats the product until it took this long
    Numerics numerics = Numerics::ggml;
};

struct ProductTiming {
    double prompt_seconds = 0;      // the median over repetitions, per token of a prompt batch
    double generation_seconds = 0;  // the median over repetitions of a one-token product
    uint64_t weight_bytes = 0;      // the matrix's bytes in the type
};

// Whether time_product can time `type` at rows `cols` values long: the codecs encode and decode
// it and cols is a whole number of its blocks.
bool can_time(TensorType type, size_t cols);

// Times Y = X · Wᵀ for W of `type`, [cols × rows]. Throws qframe::Error where can_time is false.
ProductTiming time_product(TensorType type, size_t cols, size_t rows, const TimingOptions& options);

}  // namespace qframe::engine
