// ScoringEvaluator: the set-up eval.perplexity and eval.kl_divergence share (evaluators.hpp).
#include <optional>

#include "evaluators.hpp"
#include "loaded_model.hpp"
#include "qframe/error.hpp"
#include "shared_scores.hpp"

namespace qframe::model_eval {

Findings ScoringEvaluator::evaluate(const ModelView& original, const ModelView& result, const ProgressFn& progress) const {
    const LoadedModel a = load(original);
    const auto plan = shared_plan(settings_, a);
    bool shared = false;
    const auto original_logits = input_logits(a, *plan, settings_, shared);
    const bool same = same_tensors(original, result);
    std::optional<LoadedModel> b;
    std::unique_ptr<ScoredLogits> result_logits;
    const size_t n_vocab = a.model.config().n_vocab;
    if (!same) {
        b.emplace(load(result));
        if (b->model.config().n_vocab != n_vocab) throw Error("the two models have different vocabularies");
        result_logits = computed_logits(*b, *plan, settings_);
    }
    Findings findings = {{"text", settings_.text}, {"ctx", plan->n_ctx}, {"chunks", plan->n_chunks},
                         {"scored_tokens", plan->n_chunks * plan->scored_per_chunk()},
                         {"original_evaluated", !shared}, {"result_evaluated", !same}};
    findings.update(score(*original_logits, result_logits.get(), *plan, n_vocab, progress));
    return findings;
}

}  // namespace qframe::model_eval
