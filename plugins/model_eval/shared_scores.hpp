// What the scoring evaluators (perplexity, KL divergence) share, so that a run evaluates the
// input model once however many of them it has (issue 13, item 4): the text's chunks, tokenized
// once, and the input model's scored logits, kept after the first stage that computes them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "evaluators.hpp"
#include "loaded_model.hpp"

namespace qframe::model_eval {

// The input's logits are kept in a nameless temporary file (page cache that the kernel may write
// out, not the process's memory) up to this size; beyond it each stage computes them again.
inline constexpr uint64_t kSharedLogitsBytes = 4ull << 30;

// A model's logits at the scored positions, chunk by chunk (engine::scored_logits' layout).
class ScoredLogits {
public:
    virtual ~ScoredLogits() = default;
    virtual std::vector<float> chunk(uint32_t i) = 0;
};

// The chunks of `settings.text` in `model`'s vocabulary, tokenized once per text, vocabulary file
// and chunk settings.
std::shared_ptr<const ChunkPlan> shared_plan(const ScoringSettings& settings, const LoadedModel& model);

// The input model's (`model`, loaded from the input file): read back when an earlier stage of the
// run computed them with the same settings (`shared` is then true), else computed, and kept for
// the next stage where they fit.
std::unique_ptr<ScoredLogits> input_logits(const LoadedModel& model, const ChunkPlan& plan, const ScoringSettings& settings, bool& shared);

// Any model's, computed.
std::unique_ptr<ScoredLogits> computed_logits(const LoadedModel& model, const ChunkPlan& plan, const ScoringSettings& settings);

// True when every tensor of `result` has the type and bytes of `original`'s tensor of that name:
// then the result need not be evaluated.
bool same_tensors(const ModelView& original, const ModelView& result);

}  // namespace qframe::model_eval
