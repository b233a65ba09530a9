// The study's baseline, prepared once: the model every candidate starts from (the input, or the
// input with the baseline stages applied, written to the study folder) and its log-probabilities
// at every scored position, which every candidate's KL divergence is measured against. Both are
// cached in the study folder and reused while the study's model and baseline are unchanged.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "compact_log_probs.hpp"
#include "qframe/engine/scoring.hpp"
#include "qframe/study.hpp"

namespace qframe::sweep {

struct Baseline {
    engine::ChunkPlan plan;
    engine::Numerics numerics = engine::Numerics::ggml;  // the study's; candidates are evaluated alike
    uint32_t n_vocab = 0;
    std::vector<float> log_probs;     // [chunk][scored position][token], log-softmax; empty when compact
    std::optional<CompactLogProbs> compact;  // study.baseline_tail_mass > 0: the rows' heads instead
    std::vector<double> nll;          // [chunk][scored position]: -log p(next token)
    double ppl = 0;
    bool evaluated = false;           // false: read back from the study folder
    // Layer-prefix reuse: per chunk, the residual stream entering each layer and the final one
    // ([n_layer + 1][ctx × n_embd]); empty when not recorded.
    std::vector<std::vector<float>> streams;
    uint32_t n_layer = 0, n_embd = 0;

    std::span<const float> stream(uint32_t chunk, uint32_t layer) const {
        const size_t n = size_t(plan.n_ctx) * n_embd;
        return {streams[chunk].data() + layer * n, n};
    }

    std::span<const float> row(uint32_t chunk, uint64_t position) const {
        return {log_probs.data() + (chunk * plan.scored_per_chunk() + position) * n_vocab, n_vocab};
    }
};

// The baseline model file: the input itself, or the input through the study's baseline stages,
// written to the study folder once (and again when `key`, the input and baseline section, changes).
std::filesystem::path baseline_model(const Study& study, const std::string& key);

// Scores `model` (the baseline model's file) on the study's chunks; `key` as above; threads as in
// SweepOptions. With `record_streams`, the layer streams are kept too, if they fit in `stream_cap` bytes.
Baseline prepare_baseline(const Study& study, const GgufFile& model, const std::string& key, unsigned threads, bool record_streams,
                          uint64_t stream_cap);

}  // namespace qframe::sweep
