// The speed model of a mix: a forward pass's time is its matrix products' (each at its type and
// shape, from the per-machine table `qframe bench-types` measures) plus the rest of the pass
// (attention over the cache, norms, rotary embeddings, the residual adds), which does not depend
// on the weights' types: measured once per model shape as a whole pass of one file less its
// products. Tokens/s of any mix of that model follow (docs/speed.md "The speed model").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "qframe/gguf.hpp"
#include "qframe/types.hpp"
#include "type_table.hpp"

namespace qframe::speed {

// A weight a pass multiplies by: its time is the table's entry for (type, cols, rows), as timed
// inside a pass (all of an expert tensor's products; the output's for a prompt's last token only).
struct MatrixUse {
    std::string name;  // the GGUF tensor
    std::string type;  // its type's name ("Q4_K")
    uint64_t cols = 0;
    uint64_t rows = 0;  // of every expert, for an expert tensor
};

// The products of `file`'s pass: every tensor of 2 or more dimensions but the token embeddings
// (looked up, not multiplied), which are the output where output.weight is absent.
std::vector<MatrixUse> matrix_uses(const GgufFile& file);

// The model's shape, whatever its types: its architecture and every tensor's name and dims,
// hashed. Every mix of one model has the same.
std::string shape_key(const GgufFile& file);

struct MatrixSeconds {
    double prompt = 0;       // a whole prompt of the table's prompt_tokens, in one batch
    double generation = 0;   // one generated token
    std::vector<std::string> missing;  // "TYPE COLS×ROWS" the table has no entry for (then the sums are partial)
};

// The products' time from `table`: each at its (type, shape).
MatrixSeconds matrix_seconds(const TimingTable& table, std::span<const MatrixUse> uses);

struct SpeedPrediction {
    double prompt_tps = 0;  // tokens/s of a prompt of rest.prompt_tokens
    double gen_tps = 0;     // tokens/s generating rest.gen_tokens after it
};

SpeedPrediction predict(const MatrixSeconds& products, const PassRest& rest);

// The relative error of a prediction against a measurement: predicted / measured − 1.
double relative_error(double predicted, double measured);

// The speed model's errors over files both predicted and measured.
struct SpeedErrors {
    size_t files = 0;
    double prompt_mean = 0, prompt_worst = 0;  // of |relative_error|
    double gen_mean = 0, gen_worst = 0;
    void add(const SpeedPrediction& predicted, const SpeedPrediction& measured);
    // "mean |error| 4.8% for prompts (worst 11.6%), 4.2% for generation (worst 8.8%)"
    std::string summary() const;
};

}  // namespace qframe::speed
