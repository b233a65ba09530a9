// The model evaluators of this plugin and what they share: the text, context and chunk options.
#pragma once

#include <string>

#include "qframe/plugin.hpp"
#include "scoring.hpp"

namespace qframe::model_eval {

struct LoadedModel;

// Options of the scoring evaluators (perplexity, KL divergence).
OptionSchema scoring_options();

struct ScoringSettings {
    explicit ScoringSettings(const Options& o);
    // Tokenizes the text with `model`'s vocabulary (BOS first, as llama.cpp) and plans chunks.
    ChunkPlan plan(const LoadedModel& model) const;

    std::string text;
    uint32_t ctx, chunks;
    unsigned threads;
};

void register_perplexity(Registry& r);
void register_kl_divergence(Registry& r);
void register_generate(Registry& r);

}  // namespace qframe::model_eval
