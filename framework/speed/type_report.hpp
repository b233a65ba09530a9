// One model's per-type table: its matrix shapes (each with the model's matrices of that shape)
// and every type's time per token at each, as REPORT.md, report.json and a plot (time per token
// against bits per weight, one curve per shape, prompt and generation side by side).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "mix_speed.hpp"
#include "type_table.hpp"

namespace qframe::speed {

struct MatrixShape {
    uint64_t cols = 0, rows = 0;
    std::vector<std::string> tensors;  // the model's matrices of this shape (an expert tensor once per expert)
};

// A file of the model's shape: its tokens/s as the speed model predicts them and, where timed, as
// measured.
struct MixSpeed {
    std::string file;
    SpeedPrediction predicted;
    std::optional<SpeedPrediction> measured;
};

// A file llama-bench timed: llama.cpp's speed as measured and as its table predicts it, beside
// qframe's (bench-types --from-llama-bench).
struct LlamaBenchFileSpeed {
    std::string single_type;  // the one type of all its matrices; "" for a mix
    SpeedPrediction llama_measured;
    std::optional<SpeedPrediction> llama_predicted;  // none where llama.cpp's table lacks one of its types
    MixSpeed qframe;
};

struct LlamaBenchComparison {
    std::string table_file;  // llama.cpp's table
    TimingTable key;         // its machine, threads and build (no entries)
    PassRest rest;           // its rest of a pass for the model
    bool gen_after_prompt = false;
    std::vector<LlamaBenchFileSpeed> files;
};

// Writes dir/REPORT.md, dir/report.json and dir/types.{svg,png} (gnuplot) for `types` at
// `shapes`, from `table`'s entries, the speed model's rest and mixes where given, and llama.cpp's
// speed beside qframe's where given. Returns the plot's files (none when gnuplot is missing: the
// report says so).
std::vector<std::string> write_type_report(const std::filesystem::path& dir, const std::string& model, const std::vector<MatrixShape>& shapes,
                                           const std::vector<std::string>& types, const TimingTable& table,
                                           const PassRest* rest = nullptr, const std::vector<MixSpeed>& mixes = {},
                                           const LlamaBenchComparison* llama = nullptr);

}  // namespace qframe::speed
