// qframe sweep: evaluates every candidate of a study (group × treatment) against the study's
// baseline model and writes one result per candidate, results.jsonl and the reports.
//
// run_sweep does it all in this process. An executor that spreads the work (Slurm) uses the
// steps: open_sweep (check, create the folder, list what is left), prepare_sweep_baseline (once),
// run_sweep_part (in each task, on its share), merge_sweep (once all results are in).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qframe/findings.hpp"
#include "qframe/study.hpp"

namespace qframe {

struct SweepOptions {
    unsigned threads = 0;  // 0: every hardware thread
    unsigned jobs = 1;     // candidates evaluated at once; the threads are split between them
    // Layer-prefix reuse: keep the baseline's residual stream entering each layer, and start each
    // candidate's pass at its first changed layer (bit-identical to a full pass). Off when the
    // streams would take more than prefix_cap bytes.
    bool prefix_reuse = true;
    uint64_t prefix_cap = uint64_t(2) << 30;
    // The tensor bank: nullopt, `.tensor-bank` beside the study folder (studies in one folder
    // share it); an empty path, none. Capped at bank_cap bytes.
    std::optional<std::filesystem::path> bank;
    uint64_t bank_cap = uint64_t(4) << 30;
    // Called from worker threads as candidates finish: done, total.
    std::function<void(size_t done, size_t total)> progress;
    // measure_mixes only: with pass_prompt_tokens > 0, each mix's passes are timed too (a prompt
    // of that many tokens in one batch, then pass_gen_tokens generated; the median of
    // pass_repetitions after a warm-up, on pass_threads), as measured_prompt_tps and measured_gen_tps.
    uint32_t pass_prompt_tokens = 0, pass_gen_tokens = 32;
    unsigned pass_repetitions = 5, pass_threads = 1;
};

struct SweepSummary {
    size_t candidates = 0;
    size_t evaluated = 0;  // model evaluations this run (the rest came from earlier runs)
    size_t failed = 0;     // candidates whose evaluation threw: reported, the others finish
    bool baseline_evaluated = false;  // false: the baseline's log-probabilities were reused
    double ppl_baseline = 0;
    uint64_t bank_hits = 0, bank_misses = 0;  // treated tensors reused from the bank / made
    std::filesystem::path results;    // results.jsonl

    // Adds a part's counts (evaluated, failed, bank, baseline_evaluated) to these.
    SweepSummary& operator+=(const SweepSummary& part);
};

// Runs the study into study.out. A candidate already finished for this same study (its result
// file names the study's key) is not evaluated again, so a re-run or a killed run resumes.
SweepSummary run_sweep(const Study& study, const SweepOptions& options = {});

// The steps of a sweep, for executors.
struct SweepState {
    size_t candidates = 0;
    std::vector<std::string> unfinished;  // candidate ids without a result, or failed: to evaluate
    std::vector<std::string> failed;      // those of them whose result is a failure
};
// Checks the study against its model, creates the study folder and says what is left; evaluates
// nothing. sweep_state says the same and writes nothing.
SweepState open_sweep(const Study& study);
SweepState sweep_state(const Study& study);
// Writes the baseline model (when the study has baseline stages) and its cached log-probabilities.
// Returns whether a model was evaluated.
bool prepare_sweep_baseline(const Study& study, const SweepOptions& options);
// One task's share: of the candidates named in `only` (every unfinished one when empty), those at
// positions task, task + tasks, …; finished ones are skipped. Writes their result files, no reports.
struct SweepPart {
    std::vector<std::string> only;
    unsigned task = 0, tasks = 1;
};
SweepSummary run_sweep_part(const Study& study, const SweepPart& part, const SweepOptions& options);
// results.jsonl and the reports from the result files; `evaluated` carries the parts' counts.
// Throws, naming them, when candidates have no result yet.
SweepSummary merge_sweep(const Study& study, const SweepSummary& evaluated);

// A study held open across steps in one process (an adaptive study's rounds): the model, the
// baseline's scores and layer streams and the tensor bank are made once.
class SweepSession {
public:
    // Checks the study against its model and creates its folder (as open_sweep).
    SweepSession(const Study& study, const SweepOptions& options);
    ~SweepSession();
    const std::vector<Candidate>& candidates() const;
    // The results of the finished candidates (failures left out), by candidate id.
    std::map<std::string, Findings> finished_results() const;
    // What every candidate costs before any model run, in candidates() order: its group,
    // treatment, tensors, bytes and types after, rel_l2 and (with an importance matrix)
    // output_err2, as in its result. The treated tensors go through the tensor bank.
    std::vector<Findings> model_free_results();
    // Evaluates the named candidates that have no result yet and writes their result files.
    SweepSummary evaluate(const std::vector<std::string>& ids);
    // merge_sweep, where a candidate without a result takes its entry in `predicted` (marked
    // "predicted"); without `reports`, results.jsonl alone.
    SweepSummary merge(const SweepSummary& evaluated, const std::map<std::string, Findings>& predicted, bool reports) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// A whole mix measured like a candidate (qframe plan --measure): each named tensor of the input
// through its stage (a quantizer call), the others as in the study's baseline.
struct MixToMeasure {
    std::string name;
    std::vector<std::pair<std::string, StageCall>> tensors;  // tensor name → its quantizer
};
// One result per mix, with a candidate's keys (kld_mean, ppl, …) and `name` and `file_bytes`
// (the GGUF file the mix makes, padding included); against the study's baseline, whose
// log-probabilities the study folder caches. Throws on failure.
std::vector<Findings> measure_mixes(const Study& study, const std::vector<MixToMeasure>& mixes, const SweepOptions& options);

// What a study holds in memory besides the mapped model, estimated for --dry-run.
struct SweepMemory {
    uint64_t model = 0;          // the model file, mapped: the baseline's pass reads all of it
    uint64_t log_probs = 0;      // the baseline's log-probabilities in full (4 bytes per token of the vocabulary per scored position)
    bool compact = false;        // study.baseline_tail_mass: a head per position instead (8 bytes a kept token: at most twice the full size)
    uint64_t compact_cap = 0;    // with study.baseline_max_tokens: the most the compact rows take
    uint64_t streams = 0;        // the layer streams of prefix reuse (0: off, over prefix_cap)
    uint64_t per_job = 0;        // one candidate's pass: logits, K/V caches, activations
    uint64_t largest_group = 0;  // the largest group's tensors in the model (a treated copy is at most as large)
};
SweepMemory estimate_sweep_memory(const Study& study, const GgufFile& model, const std::vector<Candidate>& candidates, const SweepOptions& options);

// Work the study will do, for --dry-run: tokens pushed through the model.
uint64_t sweep_tokens(const Study& study, size_t candidates);

}  // namespace qframe
