// One candidate's evaluation: its treatment applied to the group's tensors (from the input
// model), the candidate model (the baseline with those tensors replaced) scored on the
// baseline's chunks, and its cost against the baseline.
#pragma once

#include <functional>
#include <map>

#include "qframe/importance.hpp"

#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "baseline.hpp"
#include "tensor_bank.hpp"
#include "qframe/findings.hpp"
#include "qframe/gguf.hpp"
#include "qframe/stage.hpp"
#include "qframe/study.hpp"

namespace qframe::sweep {

struct Models {
    const GgufFile& input;     // the treatments' source tensors
    const ModelInfo& input_info;  // the input as stages see it
    const std::string& input_header_key;  // SHA-256 of the input's header: what model-aware stages see
    const GgufFile& baseline;  // what a candidate starts from
    const Baseline& scores;
    TensorBank& bank;          // treated tensors made once
    // The study's importance matrix: per tensor, what its treatments weigh by and that weight's
    // digest (part of the bank's key).
    const TensorImportance& importance;
    const std::map<std::string, std::string, std::less<>>& importance_digests;
};

// A treatment as a candidate applies it: the quantizer and the text that keys its results.
struct TreatmentRun {
    const Quantizer& quantizer;
    std::string text;
};

// The result object of results.jsonl (without `seconds` and the study key, which the caller
// adds). With stop_rel_error > 0 the chunks stop once the mean KLD's relative standard error
// (over the chunks so far, 4 at least) is at most that (study.kld_rel_error); the result then
// says chunks_scored and kld_rel_error. Throws on failure.
Findings evaluate_candidate(const Candidate& candidate, const TreatmentRun& treatment, const Models& models, unsigned threads,
                            double stop_rel_error = 0);

// Any change: each listed input tensor (an index) through its treatment, the rest the baseline's.
// The same keys as a candidate's result, without group and treatment. `with_model`, where given,
// gets the changed model once it is scored (qframe plan --measure times its passes).
using Change = std::vector<std::pair<size_t, const TreatmentRun*>>;
Findings evaluate_change(const Change& change, const Models& models, unsigned threads, double stop_rel_error = 0,
                         const std::function<void(const engine::Model&)>& with_model = {});
// The first layer whose input a change of this tensor changes: its own layer; n_layer (only the
// final stream) for output.weight and output_norm.weight; 0 for anything else outside the blocks
// (token_embd, rope_freqs).
uint32_t first_changed_layer(std::string_view tensor_name, uint32_t n_layer);
// The layers the candidates' passes start at, ascending, 0 left out (a pass from the tokens needs
// no stream): the baseline's layer streams worth keeping.
std::vector<uint32_t> resume_layers(const GgufFile& model, const std::vector<Candidate>& candidates);

// What evaluate_change says of the change before the model runs: the tensors' bytes, types and
// errors (rel_l2, output_err2), from the treated tensors alone (models.scores is not read).
Findings model_free_findings(const Change& change, const Models& models);

}  // namespace qframe::sweep
