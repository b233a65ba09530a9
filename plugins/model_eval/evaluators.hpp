// The model evaluators of this plugin and what they share: the text, context and chunk options.
#pragma once

#include <string>

#include "qframe/engine/model.hpp"
#include "qframe/engine/scoring.hpp"
#include "qframe/plugin.hpp"

namespace qframe::model_eval {

// The scoring method lives with the engine (qframe sweep scores the same way).
using engine::ChunkPlan;
using engine::log_prob;
using engine::log_softmax;
using engine::plan_chunks;
using engine::read_text;
using engine::scored_logits;

struct LoadedModel;
class ScoredLogits;

// Options of the scoring evaluators (perplexity, KL divergence).
OptionSchema scoring_options();
// The `numerics` option every model evaluator has, and its value.
OptionSpec numerics_option();
engine::Numerics numerics_setting(const Options& o);

struct ScoringSettings {
    explicit ScoringSettings(const Options& o);
    // Tokenizes the text with `model`'s vocabulary (BOS first, as llama.cpp) and plans chunks.
    ChunkPlan plan(const LoadedModel& model) const;

    std::string text;
    uint32_t ctx, chunks;
    unsigned threads;
    engine::Numerics numerics;
};

// The set-up perplexity and KL divergence share: both models loaded, the chunks planned with the
// input's vocabulary, and the findings that say what was scored (text, ctx, chunks,
// scored_tokens) and which models this stage evaluated, ahead of the evaluator's own. The input
// model is evaluated once per run (shared_scores.hpp), a result with the input's tensors never.
class ScoringEvaluator : public ModelEvaluator {
public:
    explicit ScoringEvaluator(const Options& o) : settings_(o) {}

    Findings evaluate(const ModelView& original, const ModelView& result, const ProgressFn& progress) const final;

protected:
    // The evaluator's own findings, over the planned chunks, from each model's logits; `result`
    // is null when its tensors are the original's (its logits would be the same).
    virtual Findings score(ScoredLogits& original, ScoredLogits* result, const ChunkPlan& plan, size_t n_vocab,
                           const ProgressFn& progress) const = 0;
    unsigned threads() const { return settings_.threads; }
    engine::Numerics numerics() const { return settings_.numerics; }

private:
    ScoringSettings settings_;
};

void register_perplexity(Registry& r);
void register_kl_divergence(Registry& r);
void register_generate(Registry& r);
void register_speed(Registry& r);

}  // namespace qframe::model_eval
