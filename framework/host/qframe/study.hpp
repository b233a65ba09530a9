// Sensitivity studies (qframe sweep): a YAML file in the recipe family that names a model, an
// optional baseline (stages applied to the whole model first), how tensors are grouped and which
// treatments each group gets. Read and validated before any work; errors name file:line:col.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "qframe/export.hpp"
#include "qframe/gguf.hpp"
#include "qframe/importance.hpp"
#include "qframe/recipe.hpp"

namespace qframe {

// How tensors are grouped: each group is changed as a whole in a candidate.
enum class GroupBy { Tensor, Layer, Role, LayerRole };
// one_at_a_time: only the group is treated; all_but_one: every grouped tensor but the group's;
// adaptive: one_at_a_time's candidates, measured only where they decide a plan, the others'
// costs predicted (framework/plan/adaptive_study.hpp).
enum class StudyMode { OneAtATime, AllButOne, Adaptive };

// As a study file writes them: "layer_role", "one_at_a_time".
QFRAME_API const char* to_string(GroupBy per);
QFRAME_API const char* to_string(StudyMode mode);

struct Treatment {
    std::string name;  // "q3_k": a column in the results, part of each candidate's id
    StageCall call;    // a quantizer
};

// Where `qframe sweep` runs the candidates: the study's executor: section (the command line's
// options win). Not part of the study's key: moving a study to a cluster keeps its results.
struct ExecutorSettings {
    std::string kind = "local";    // local | slurm
    // Slurm: sbatch's --partition and --time ("": the cluster's defaults), CPUs per array task
    // (the engine's threads in it; 0: sbatch's default, one), array tasks (0: up to 8, one per
    // candidate at most) and further sbatch arguments, e.g. "--mem=8G".
    std::string partition, time;
    uint32_t cpus_per_task = 0, tasks = 0;
    std::vector<std::string> sbatch_args;
};

// An adaptive study's settings: study.measure_budget, calibrate_at, calibrate_layers, plan_bpw.
struct AdaptiveSettings {
    double measure_budget = 0.25;  // the share of the one-at-a-time study's candidates it may measure
    std::string calibrate_at;      // the treatment measured in every calibrated group ("": the middle one by error)
    uint32_t calibrate_layers = 0; // layers calibrated per role (0: every group when the budget pays, else as many as half of it)
    std::vector<double> plan_bpw;  // the plans' sizes it measures for (empty: 5 from the smallest to the largest)
};

struct Study {
    std::filesystem::path path;
    std::string text;  // the study file as read, with --set values applied, less executor:
    // The same less what does not change a candidate's result (the adaptive settings; mode
    // adaptive reads one_at_a_time): it keys the results, which both kinds of study share.
    std::string results_text;
    std::string name;
    std::filesystem::path input, out, eval_text;
    uint32_t ctx = 256, chunks = 8;
    // A candidate's chunks stop once its mean KLD's relative standard error (over the chunks so
    // far, 4 at least) is at most this; 0: every chunk (study.kld_rel_error).
    double kld_rel_error = 0;
    // A compact baseline: per scored position only the most likely tokens until at most this much
    // probability is left (framework/sweep/compact_log_probs.hpp); 0: every token (study.baseline_tail_mass).
    double baseline_tail_mass = 0;
    uint32_t baseline_max_tokens = 0;  // and at most this many tokens per position (0: no cap; study.baseline_max_tokens)
    std::string numerics = "ggml";  // the engine's arithmetic: ggml (llama.cpp's roundings) or f32
    ImportanceChoice imatrix;            // what the baseline stages and treatments weigh by; file empty: none
    std::vector<PlannedStage> baseline;  // applied to the whole model first; may be empty
    std::string baseline_text;           // the baseline: section as YAML (keys the cached baseline)
    GroupBy per = GroupBy::LayerRole;
    std::vector<StageCall> group_select;  // which tensors are grouped (all must accept)
    std::string group_where;              // the groups: entry's location
    StudyMode mode = StudyMode::OneAtATime;
    AdaptiveSettings adaptive;
    std::vector<Treatment> treatments;
    ExecutorSettings executor;
};

struct StudyOverrides {
    std::optional<std::filesystem::path> input, out;
    // "KEY.PATH=VALUE" into the study file, e.g. "study.chunks=2" or "study.groups.per=layer".
    std::vector<std::string> sets;
};

// Reads and validates the study (stages, options, files it needs); throws qframe::Error with a
// location.
QFRAME_API Study load_study(const std::filesystem::path& file, const StageCatalog& catalog, const StudyOverrides& overrides = {});

// A role: the tensor name without its "blk.N." prefix and ".weight" suffix ("attn_q"); tensors
// outside the blocks are roles of their own ("token_embd", "output").
QFRAME_API std::string tensor_role(std::string_view tensor_name);

// One group × treatment.
struct QFRAME_API Candidate {
    std::string group;      // "blk.3.attn_q", "blk.3", "attn_q" or a tensor name, per the study
    size_t treatment = 0;   // index into Study::treatments
    std::string treatment_name;
    std::vector<size_t> tensors;  // indices into the model's tensors, file order: what the treatment changes
    std::string id() const;       // "<group>@<treatment>": file names and --resume
};

// The groups of `model` (in file order of their first tensor) and the candidates of the study.
QFRAME_API std::vector<Candidate> plan_candidates(const Study& study, const GgufFile& model);

}  // namespace qframe
