// eval.speed: what a change of precision does to evaluation speed — prompt processing and
// generation tokens/s of the input and of the result on this CPU, measured with qframe's engine
// (whose products follow ggml's per type, so the ratio tracks llama.cpp's CPU backend: see
// docs/engine.md). Runs alternate between the two models so that a busy machine slows both alike;
// the findings are medians with their spread and the median of the paired ratios.
#include <algorithm>
#include <vector>

#include "evaluators.hpp"
#include "loaded_model.hpp"
#include "qframe/engine/pass_timing.hpp"
#include "qframe/parallel.hpp"

namespace qframe::model_eval {
namespace {

using engine::median;

struct Timings {
    std::vector<double> prompt, generation;  // tokens/s per repetition
};

class Speed : public ModelEvaluator {
public:
    explicit Speed(const Options& o)
        : prompt_(static_cast<uint32_t>(o.get_int("prompt_tokens"))), generate_(static_cast<uint32_t>(o.get_int("gen_tokens"))),
          repetitions_(static_cast<uint32_t>(o.get_int("repetitions"))), warmup_(static_cast<uint32_t>(o.get_int("warmup"))),
          threads_(static_cast<unsigned>(o.get_int("threads"))), numerics_(numerics_setting(o)) {}

    Findings evaluate(const ModelView& original, const ModelView& result, const ProgressFn& progress) const override {
        const LoadedModel a = load(original), b = load(result);
        const auto tokens = engine::probe_tokens(a.model, prompt_);
        engine::Context ca(a.model, prompt_ + generate_ + 1, threads_, prompt_, numerics_);
        engine::Context cb(b.model, prompt_ + generate_ + 1, threads_, prompt_, numerics_);
        Timings ta, tb;
        const uint64_t total = 2ull * (warmup_ + repetitions_);
        uint64_t done = 0;
        for (uint32_t i = 0; i < warmup_ + repetitions_; ++i) {
            const bool kept = i >= warmup_;  // warm-up runs touch the weights and wake the threads
            for (const auto& [context, timings] : {std::pair{&ca, &ta}, std::pair{&cb, &tb}}) {
                measure(*context, tokens, kept ? timings : nullptr);
                if (progress) progress(++done, total);
            }
        }
        return {{"prompt_tokens", prompt_}, {"gen_tokens", generate_}, {"repetitions", repetitions_}, {"warmup", warmup_},
                {"threads", threads_ ? threads_ : default_thread_count()}, {"numerics", std::string(engine::numerics_name(numerics_))},
                {"prompt_tps_original", median(ta.prompt)}, {"prompt_tps_result", median(tb.prompt)},
                {"prompt_tps_original_range", range(ta.prompt)}, {"prompt_tps_result_range", range(tb.prompt)},
                {"prompt_speed_ratio", paired_ratio(tb.prompt, ta.prompt)},
                {"gen_tps_original", median(ta.generation)}, {"gen_tps_result", median(tb.generation)},
                {"gen_tps_original_range", range(ta.generation)}, {"gen_tps_result_range", range(tb.generation)},
                {"gen_speed_ratio", paired_ratio(tb.generation, ta.generation)}};
    }

private:
    // One repetition: the prompt in one batch, then greedy generation from it.
    void measure(engine::Context& context, const std::vector<int32_t>& tokens, Timings* out) const {
        const engine::PassSeconds s = engine::time_pass(context, tokens, generate_);
        if (!out) return;
        out->prompt.push_back(tokens.size() / s.prompt);
        out->generation.push_back(1.0 / s.generation);
    }

    static Findings range(const std::vector<double>& v) {
        const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
        return Findings::array({*lo, *hi});
    }

    // Median of the per-repetition ratios (runs of the two models alternate).
    static double paired_ratio(const std::vector<double>& result, const std::vector<double>& original) {
        std::vector<double> r;
        for (size_t i = 0; i < result.size(); ++i) r.push_back(result[i] / original[i]);
        return median(r);
    }

    uint32_t prompt_, generate_, repetitions_, warmup_;
    unsigned threads_;
    engine::Numerics numerics_;
};

}  // namespace

void register_speed(Registry& r) {
    r.add("eval.speed",
          "prompt-processing and generation tokens/s of the input and the result on this CPU (qframe's engine; medians, range, "
          "paired ratio)",
          {OptionSpec::integer("prompt_tokens", "tokens of the prompt, processed in one batch", 128, 1, 8192),
           OptionSpec::integer("gen_tokens", "tokens generated one at a time after the prompt", 32, 1, 4096),
           OptionSpec::integer("repetitions", "measured runs per model (alternating between the models)", 5, 1, 1000),
           OptionSpec::integer("warmup", "unmeasured runs per model first", 1, 0, 100),
           OptionSpec::integer("threads", "threads (0: all cores)", 0, 0, 1024), numerics_option()},
          [](const Options& o) { return std::make_unique<Speed>(o); });
}

}  // namespace qframe::model_eval
