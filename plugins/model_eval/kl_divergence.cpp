// eval.kl_divergence: how far the result's next-token distributions moved from the input's, over
// the same scored positions as eval.perplexity (llama.cpp's --kl-divergence measures).
#include <algorithm>
#include <cmath>

#include "evaluators.hpp"
#include "shared_scores.hpp"

namespace qframe::model_eval {
namespace {

class KlDivergence : public ScoringEvaluator {
public:
    using ScoringEvaluator::ScoringEvaluator;

private:
    Findings score(ScoredLogits& original, ScoredLogits* result, const ChunkPlan& plan, size_t n_vocab, const ProgressFn& progress) const override {

        std::vector<double> klds, lp, lq;
        uint64_t top1_same = 0;
        double sum_dp = 0, nll_p = 0, nll_q = 0;
        for (uint32_t i = 0; i < plan.n_chunks; ++i) {
            const auto la = original.chunk(i);
            const auto lb = result ? result->chunk(i) : la;
            for (uint64_t k = 0; k < plan.scored_per_chunk(); ++k) {
                const std::span<const float> ra(la.data() + k * n_vocab, n_vocab), rb(lb.data() + k * n_vocab, n_vocab);
                log_softmax(ra, lp);
                log_softmax(rb, lq);
                klds.push_back(engine::kl_divergence<double, double>(lp, lq));
                top1_same += std::max_element(ra.begin(), ra.end()) - ra.begin() == std::max_element(rb.begin(), rb.end()) - rb.begin();
                const int32_t y = plan.next_token(i, plan.first_scored() + k);
                sum_dp += std::exp(lq[y]) - std::exp(lp[y]);
                nll_p -= lp[y];
                nll_q -= lq[y];
            }
            if (progress) progress(i + 1, plan.n_chunks);
        }
        const double n = static_cast<double>(klds.size());
        std::vector<double> sorted = klds;
        std::sort(sorted.begin(), sorted.end());
        const auto percentile = [&](double p) { return engine::percentile(sorted, p); };
        double mean = 0;
        for (double v : klds) mean += v;
        mean /= n;
        return {{"kld_mean", mean}, {"kld_median", percentile(0.5)}, {"kld_p99", percentile(0.99)}, {"kld_max", sorted.back()},
                {"top1_agreement", top1_same / n}, {"mean_delta_p_correct", sum_dp / n},
                {"ppl_ratio", std::exp((nll_q - nll_p) / n)}};
    }
};

}  // namespace

void register_kl_divergence(Registry& r) {
    r.add("eval.kl_divergence",
          "KL divergence of the result's token distributions from the input's (mean, median, p99, max), top-1 agreement, "
          "mean change of the correct token's probability, PPL ratio",
          scoring_options(), [](const Options& o) { return std::make_unique<KlDivergence>(o); });
}

}  // namespace qframe::model_eval
