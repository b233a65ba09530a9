// The report of `qframe plan --frontier N` and `--measure`: plans at N budgets from the smallest to
// the largest reachable size, each with its predicted cost; with measure, each plan and llama.cpp's
// standard mixes (quant.mix) evaluated against the study's baseline, on the study's text, ctx and
// chunks. Written to a folder: the plans' recipes, REPORT.md, REPORT.json, and a frontier plot
// (bits per weight × mean KLD, SVG and PNG) with the mixes on the same axes. With a speed table,
// each point's predicted tokens/s, and with measure its measured ones and the speed model's error.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "qframe/plan.hpp"
#include "qframe/sweep.hpp"

namespace qframe::plan {

struct FrontierOptions {
    std::filesystem::path dir;          // where the report goes
    std::string objective = "kld_mean";
    bool measure = false;
    std::vector<std::string> mixes;     // llama.cpp mixes measured beside the plans (with measure)
    SweepOptions evaluation;            // threads, tensor bank, progress
};

struct FrontierPoint {
    std::string name;                   // "plan 3" or "Q4_K_M"
    bool is_mix = false;
    uint64_t file_bytes = 0;
    double bpw = 0;
    double predicted = -1;              // -1: none (the mixes)
    Findings measured;                  // null unless measured: a candidate's keys
    std::filesystem::path recipe;       // the plan's recipe (plans only)
    // A mix's types that no plan can use (the study has no treatment with them), with the
    // number of tensors the mix gives each: "Q8_0 (30 tensors)".
    std::vector<std::string> types_not_studied;
    // The speed model's tokens/s (0: no speed table, or a type it has no time for); the measured
    // ones are in `measured` (measured_prompt_tps, measured_gen_tps) when passes were timed.
    double predicted_prompt_tps = 0, predicted_gen_tps = 0;
};

// Writes the report; returns its points (plans, then mixes).
std::vector<FrontierPoint> write_frontier(const Planner& planner, const std::vector<MixPlan>& plans, const StageCatalog& catalog,
                                          const FrontierOptions& options);

}  // namespace qframe::plan
