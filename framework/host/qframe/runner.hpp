// Runs a plan: every stage over its selected tensors (in parallel), then the streaming write of
// the output (untouched tensors copied from the input mapping) and the reports.
#pragma once

#include "qframe/export.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "qframe/findings.hpp"
#include "qframe/recipe.hpp"

namespace qframe {

struct RunResult;

struct RunOptions {
    unsigned threads = 0;  // 0: all cores
    bool dry_run = false;  // select only: print what each stage would touch, change nothing
    // Called (from worker threads too) as work completes: a label ("2: quant.int8", "write"),
    // units done and the total (tensors for stages, bytes for the write).
    std::function<void(const std::string& label, uint64_t done, uint64_t total)> progress;
    // SHA-256 of the input (on its own thread while the stages run) and of the output (from the
    // bytes as they are written); false: neither, and no qframe.input.sha256 in the output.
    bool hash = true;
    // fsync the output before its rename, so that it survives a power loss (a killed run never
    // leaves a partial output either way); off by default, like cp and llama-quantize.
    bool sync = false;
    // Runs once the output file is complete, before it takes its name, with the whole result
    // (the output's size and digest included): the report written here is never beside a model
    // it does not describe, and if it fails the output is not published.
    std::function<void(const RunResult&)> before_output_published{};
};

struct StageResult {
    const PlannedStage* planned = nullptr;
    std::vector<std::string> selected;                          // tensor names, file order
    std::vector<std::pair<std::string, Findings>> findings;     // per tensor
    double seconds = 0;
};

struct FileDigest {
    std::filesystem::path path;
    uint64_t size = 0;
    std::string sha256;
};

// A dry run's forecast of one tensor of the output.
struct PlannedTensor {
    std::string name;
    uint32_t input_type_id = 0;
    std::optional<uint32_t> type_id{};  // nullopt: a quantizer could not tell without encoding
    std::optional<uint64_t> bytes{};
};

struct RunResult {
    const Plan* plan = nullptr;
    FileDigest input, output;  // output.path empty when nothing was written; sha256 empty: not hashed
    std::vector<StageResult> stages;
    std::vector<std::string> rewritten;  // tensors a quantizer replaced
    std::vector<std::string> changed;    // of those, the ones whose type or bytes differ from the input
    double write_seconds = 0, total_seconds = 0;
    // Dry runs only: every tensor's type in the output (file order), and the output file's exact
    // size when every type is known and the plan names an output.
    std::vector<PlannedTensor> planned{};
    std::optional<uint64_t> planned_output_bytes{};
};

// The type of a quantizer's result for `source`, once checked: a known type whose blocks fit the
// rows, and exactly the bytes it needs. Throws qframe::Error saying what the quantizer returned.
QFRAME_API const TypeInfo& checked_result_type(const TensorData& source, const QuantizedTensor& result);

// Throws qframe::Error naming the stage, plugin and tensor when a stage fails; then no output
// file is written (or replaced).
QFRAME_API RunResult run_plan(const Plan& plan, const RunOptions& options = {});

// REPORT.json (stable keys) and REPORT.md (tables) in `dir`, each written atomically.
QFRAME_API void write_reports(const RunResult& result, const std::filesystem::path& dir);

}  // namespace qframe
