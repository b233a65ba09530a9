// ScoringEvaluator: the set-up eval.perplexity and eval.kl_divergence share (evaluators.hpp).
#include "evaluators.hpp"
#include "loaded_model.hpp"

namespace qframe::model_eval {

Findings ScoringEvaluator::evaluate(const ModelView& original, const ModelView& result, const ProgressFn& progress) const {
    const LoadedModel a = load(original), b = load(result);
    const ChunkPlan plan = settings_.plan(a);
    Findings findings = {{"text", settings_.text}, {"ctx", plan.n_ctx}, {"chunks", plan.n_chunks},
                         {"scored_tokens", plan.n_chunks * plan.scored_per_chunk()}};
    findings.update(score(a, b, plan, progress));
    return findings;
}

}  // namespace qframe::model_eval
