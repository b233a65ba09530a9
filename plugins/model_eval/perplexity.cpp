// eval.perplexity: llama.cpp's perplexity method on the input model and on the result.
#include <cmath>

#include "evaluators.hpp"
#include "shared_scores.hpp"
#include "qframe/engine/scoring.hpp"

namespace qframe::model_eval {
namespace {

struct Perplexity {
    double ppl = 0, ppl_error = 0;
};

// Accumulates the negative log-likelihood and its square, as llama.cpp does, for the ± estimate.
Perplexity perplexity(ScoredLogits& model, const ChunkPlan& plan, size_t n_vocab, const std::function<void()>& chunk_done) {
    double nll = 0, nll2 = 0;
    uint64_t count = 0;
    for (uint32_t i = 0; i < plan.n_chunks; ++i) {
        const auto logits = model.chunk(i);
        for (uint64_t k = 0; k < plan.scored_per_chunk(); ++k) {
            const double v = -log_prob({logits.data() + k * n_vocab, n_vocab}, plan.next_token(i, plan.first_scored() + k));
            nll += v;
            nll2 += v * v;
            ++count;
        }
        chunk_done();
    }
    Perplexity out;
    const double mean = nll / count;
    out.ppl = std::exp(mean);
    const double var = nll2 / count - mean * mean;
    out.ppl_error = var > 0 && count > 1 ? std::sqrt(var / (count - 1)) * out.ppl : 0;
    return out;
}

class PerplexityEvaluator : public ScoringEvaluator {
public:
    using ScoringEvaluator::ScoringEvaluator;

private:
    Findings score(ScoredLogits& original, ScoredLogits* result, const ChunkPlan& plan, size_t n_vocab, const ProgressFn& progress) const override {
        uint64_t done = 0;
        const uint64_t total = (result ? 2ull : 1ull) * plan.n_chunks;
        const auto step = [&] { if (progress) progress(++done, total); };
        const Perplexity pa = perplexity(original, plan, n_vocab, step), pb = result ? perplexity(*result, plan, n_vocab, step) : pa;
        return {{"ppl_original", pa.ppl}, {"ppl_original_error", pa.ppl_error},
                {"ppl_result", pb.ppl}, {"ppl_result_error", pb.ppl_error},
                {"ppl_ratio", pb.ppl / pa.ppl}, {"identical", pa.ppl == pb.ppl}};
    }
};

}  // namespace

void register_perplexity(Registry& r) {
    r.add("eval.perplexity", "perplexity of the input and the result on a text (llama.cpp's method: second half of each chunk scored)",
          scoring_options(), [](const Options& o) { return std::make_unique<PerplexityEvaluator>(o); });
}

}  // namespace qframe::model_eval
