// qframe plan: from a finished one-at-a-time (or adaptive) study, every group's type under a size budget, so
// that the predicted cost (the sum of the groups' measured one-at-a-time costs) is least — an
// exact multiple-choice knapsack over exact byte counts (the GGUF file `--apply` writes).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "qframe/study.hpp"

namespace qframe {

struct PlanRequest {
    std::filesystem::path study_dir;           // a finished study: study.yaml + results.jsonl
    std::optional<std::filesystem::path> input;  // the study's model, when not where study.yaml says
    std::optional<uint64_t> target_bytes;      // the whole output file
    std::optional<double> target_bpw;          // bits per weight over every tensor of the output
    std::string objective = "kld_mean";        // kld_mean | kld_p99 | dppl: the result key summed
    std::vector<std::pair<std::string, std::string>> pins;  // group regex → treatment (or "baseline")
    std::vector<std::string> ties;             // group regex: matches with the same captures share a choice
    std::vector<std::string> types;            // treatments allowed (empty: all the study measured)
    // Speed: the per-machine table `qframe bench-types` wrote for the study's model (its matrix
    // products by type and the rest of a pass), and the least tokens/s the plan must predict.
    std::optional<std::filesystem::path> speed_table;
    std::optional<double> min_prompt_tps, min_gen_tps;
};

// A group's choice in a plan: the treatment index into Study::treatments, or nullopt (baseline).
struct GroupChoice {
    std::string group;
    std::optional<size_t> treatment;
    std::vector<std::string> tensors;
    uint64_t bytes = 0;    // the group's tensor data, aligned as in the file
    double cost = 0;       // its one-at-a-time cost (0 for the baseline)
    bool predicted = false;  // the cost an adaptive study predicted (gain predictor), not measured
};

// How well the gain predictor (framework/plan/gain_predictor.hpp: cost ≈ g(group) · error, g
// measured at one type of the group) predicts the study's other candidates, calibrated at one
// treatment.
struct GainCheck {
    std::string calibration;      // the treatment the gains were measured at
    size_t pairs = 0;             // held-out candidates predicted: other treatments of the calibrated groups
    double rho = 0;               // Spearman's rank correlation of predicted and measured cost over them
    double rho_within_min = 0;    // the least of the same within each held-out treatment (of 3 or more candidates)
    double median_factor = 0;     // the median of max(predicted/measured, measured/predicted)
};

struct MixPlan {
    Study study;
    std::vector<GroupChoice> groups;   // in study order
    std::string recipe;                // the plan as a recipe (plan_recipe): what its file's header holds
    uint64_t file_bytes = 0;           // the output file, exactly
    uint32_t file_type = 0;            // its general.file_type, as llama.cpp names it (file_type.hpp)
    std::vector<std::pair<std::string, uint32_t>> output_types;  // every tensor's type in the output, file order
    uint64_t budget = 0;               // the file size it had to fit
    double predicted = 0;              // Σ cost: the objective the plan predicts
    size_t predicted_choices = 0;      // groups whose chosen cost is predicted, not measured (adaptive studies)
    double bpw = 0;                    // bits per weight over every tensor
    uint64_t smallest = 0, largest = 0;  // the file sizes the study's choices can reach
    // How well the cheap proxy (rel_l2, computed without running the model) ranks the study's
    // candidates against the objective: Spearman's rank correlation over them, and how many.
    // Over all candidates, and within each treatment (the mean of the treatments' rhos: does the
    // proxy tell which groups are sensitive at a given type?).
    double proxy_rank_correlation = 0, proxy_rank_correlation_within = 0;
    size_t proxy_pairs = 0;
    // The same for output_err2, the expected output error under the importance matrix's
    // activation statistics (E‖ΔW·x‖², columns uncorrelated); 0 pairs when the study weighs by none.
    double output_proxy_rank_correlation = 0, output_proxy_rank_correlation_within = 0;
    size_t output_proxy_pairs = 0;
    // The gain predictor checked on the study, calibrated at each treatment in turn; its error
    // measure (output_err2 when the study weighs by an importance matrix, else rel_l2^2).
    std::string gain_error_key;
    std::vector<GainCheck> gain_checks;
    // The speed model's tokens/s of the plan (0 without a speed table): a prompt of
    // speed_prompt_tokens, generation after it (docs/speed.md).
    double predicted_prompt_tps = 0, predicted_gen_tps = 0;
    uint32_t speed_prompt_tokens = 0;
    std::string speed_source;  // whose speed, where: "ggml numerics on <CPU>, 2 thread(s)", or llama.cpp's (llama-bench)
};

// A study read as choices, ready to plan at any budget. Throws qframe::Error with the reason (an
// unfinished or all_but_one study, a bad regex, a pin that matches nothing).
// The pass a speed table's times are of (PlanRequest::speed_table): measure plans as it was measured.
struct SpeedSetting {
    unsigned threads = 0;
    uint32_t prompt_tokens = 0, gen_tokens = 0;
    std::string numerics;  // "ggml": qframe's engine; else whose ("llama.cpp <build> (<backends>)", from llama-bench)
    std::string source;    // the table's numerics, machine and threads, in words
};

class Planner {
public:
    Planner(const PlanRequest& request, const StageCatalog& catalog);
    ~Planner();
    const Study& study() const;
    uint64_t smallest() const;  // the file sizes the choices reach, less the plan's recipe text
    uint64_t largest() const;   // (which the header holds: a few KB more)
    uint64_t smallest_plan_bytes(const std::filesystem::path& output) const;  // exactly, recipe included
    uint64_t budget_of(const PlanRequest& request) const;  // its target as a file size (none: the largest, for a speed bound alone)
    double bpw(uint64_t file_bytes) const;                  // bits per weight of a file of the model
    // The gain predictor checked on the study (MixPlan::gain_checks) and its error measure.
    const std::vector<GainCheck>& gain_checks() const;
    const std::string& gain_error_key() const;
    // Every tensor type a plan can give a tensor: the treatments' and the untreated tensors' types.
    std::set<std::string> offered_types() const;
    // The least predicted cost within `budget` file bytes, as a recipe that writes `output`;
    // throws, naming the smallest reachable size, below it. The budget holds the header too, and
    // the header holds the recipe (provenance.hpp).
    MixPlan plan(uint64_t budget, const std::filesystem::path& output) const;
    // With a speed table: its pass, and the speed model's (prompt, generation) tokens/s of the
    // model with `types` (tensor → type name; the others the baseline's); nullopt where the table
    // has no time for one of them.
    std::optional<SpeedSetting> speed_setting() const;
    std::optional<std::pair<double, double>> predicted_speed(const std::map<std::string, std::string>& types) const;

private:
    std::string no_plan_fast_enough(uint64_t budget) const;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

MixPlan make_plan(const PlanRequest& request, const StageCatalog& catalog, const std::filesystem::path& output);

// `n` plans at budgets from the smallest to the largest reachable size, in geometric steps,
// writing dir/plan-K.gguf.
std::vector<MixPlan> plan_frontier(const Planner& planner, size_t n, const std::filesystem::path& dir);

// The plan as a recipe `qframe run` turns into the model: one stage per treatment, with the
// tensors it takes by name and a comment with their predicted cost and bytes.
std::string plan_recipe(const MixPlan& plan, const std::filesystem::path& output);

// The plan as current llama.cpp's `llama-quantize --tensor-type-file` reads it: one
// `^NAME$=type` per line for every tensor of two or more dimensions of `input` (the study's
// model), so that no tensor falls to a mix's rules; `qframe quantize --tensor-type-file` applies
// it to the same tensors as `--apply`. Throws qframe::Error when the plan is not types alone: a
// chosen treatment or a baseline stage other than quant.gguf_type (a fake quantization keeps
// the type and changes the values).
std::string plan_tensor_types(const MixPlan& plan, const GgufFile& input);

// The study's importance matrix as a plan's recipe names it: its absolute path.
std::filesystem::path plan_importance_file(const Study& study);

// Parses "6.5M", "700 MiB", "123456", "1.2G": K/M/G are 1000s, KiB/MiB/GiB 1024s. Throws.
uint64_t parse_size(const std::string& text);

}  // namespace qframe
