// eval.generate: greedy generations of the input model and the result, side by side.
#include <fmt/format.h>

#include <optional>

#include "chat_format.hpp"
#include "evaluators.hpp"
#include "qframe/error.hpp"
#include "loaded_model.hpp"
#include "shared_scores.hpp"

namespace qframe::model_eval {
namespace {

class Generate : public ModelEvaluator {
public:
    explicit Generate(const Options& o)
        : prompts_(o.get_strings("prompts")), max_tokens_(static_cast<uint32_t>(o.get_int("max_tokens"))), chat_(o.get_bool("chat")),
          threads_(static_cast<unsigned>(o.get_int("threads"))), numerics_(numerics_setting(o)) {}

    Findings evaluate(const ModelView& original, const ModelView& result, const ProgressFn& progress) const override {
        const LoadedModel a = load(original);
        // A result with the input's tensors would say the same: it is not run.
        const bool same = same_tensors(original, result);
        std::optional<LoadedModel> b;
        if (!same) b.emplace(load(result));
        Findings samples = Findings::array();
        size_t identical = 0, done = 0;
        for (const auto& prompt : prompts_) {
            const std::string text =
                chat_ ? apply_chat_format(a.file.metadata().get_string("tokenizer.chat_template").value_or(""), prompt) : prompt;
            const std::string out_a = complete(a, text), out_b = same ? out_a : complete(*b, text);
            identical += out_a == out_b;
            samples.push_back({{"prompt", prompt}, {"original", out_a}, {"result", out_b}, {"identical", out_a == out_b}});
            if (progress) progress(++done, prompts_.size());
        }
        return {{"max_tokens", max_tokens_}, {"all_identical", identical == prompts_.size()}, {"identical", identical},
                {"result_evaluated", !same}, {"samples", samples}};
    }

private:
    std::string complete(const LoadedModel& m, const std::string& text) const {
        const auto prompt = m.tokenizer.tokenize(text, /*add_special=*/true, /*parse_special=*/chat_);
        const uint32_t n_ctx = static_cast<uint32_t>(prompt.size()) + max_tokens_ + 1;
        engine::Context context(m.model, n_ctx, threads_, n_ctx, numerics_);
        std::optional<int32_t> eos;
        if (m.tokenizer.eos() >= 0) eos = m.tokenizer.eos();
        const auto tokens = engine::generate(context, prompt, max_tokens_, eos);
        return m.tokenizer.decode(tokens);
    }

    std::vector<std::string> prompts_;
    uint32_t max_tokens_;
    bool chat_;
    unsigned threads_;
    engine::Numerics numerics_;
};

}  // namespace

void register_generate(Registry& r) {
    r.add(
        "eval.generate", "greedy generations of the input and the result for each prompt, side by side, and whether they are identical",
        {OptionSpec::string_list("prompts", "prompts to complete", std::vector<std::string>{"Once upon a time"}),
         OptionSpec::integer("max_tokens", "tokens to generate per prompt", 32, 1, 4096),
         OptionSpec::boolean("chat", "wrap each prompt in the model's chat format (from tokenizer.chat_template)", false),
         OptionSpec::integer("threads", "threads (0: all cores)", 0, 0, 1024), numerics_option()},
        [](const Options& o) { return std::make_unique<Generate>(o); });
}

}  // namespace qframe::model_eval
