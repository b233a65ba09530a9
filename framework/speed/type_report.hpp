// One model's per-type table: its matrix shapes (each with the model's matrices of that shape)
// and every type's time per token at each, as REPORT.md, report.json and a plot (time per token
// against bits per weight, one curve per shape, prompt and generation side by side).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "type_table.hpp"

namespace qframe::speed {

struct MatrixShape {
    uint64_t cols = 0, rows = 0;
    std::vector<std::string> tensors;  // the model's matrices of this shape (an expert tensor once per expert)
};

// Writes dir/REPORT.md, dir/report.json and dir/types.{svg,png} (gnuplot) for `types` at
// `shapes`, from `table`'s entries. Returns the plot's files (none when gnuplot is missing: the
// report says so).
std::vector<std::string> write_type_report(const std::filesystem::path& dir, const std::string& model, const std::vector<MatrixShape>& shapes,
                                           const std::vector<std::string>& types, const TimingTable& table);

}  // namespace qframe::speed
