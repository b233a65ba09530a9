// The study's baseline, prepared once: the model every candidate starts from (the input, or the
// input with the baseline stages applied, written to the study folder) and its log-probabilities
// at every scored position, which every candidate's KL divergence is measured against. Both are
// cached in the study folder and reused while the study's model and baseline are unchanged.
#pragma once

#include <algorithm>
#include <filesystem>
#include <optional>
#include <span>
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
    // Layer-prefix reuse: per chunk, the residual stream entering each of stream_layers (the
    // layers candidates start at; n_layer: the final stream), [stream_layers.size()][ctx × n_embd];
    // empty when not recorded.
    std::vector<std::vector<float>> streams;
    std::vector<uint32_t> stream_layers;
    uint32_t n_layer = 0, n_embd = 0;

    // Where a pass that changes nothing before `layer` starts: the latest kept stream at or
    // before it (0: none, from the tokens).
    uint32_t resume_layer(uint32_t layer) const {
        const auto after = std::upper_bound(stream_layers.begin(), stream_layers.end(), layer);
        return after == stream_layers.begin() ? 0 : *(after - 1);
    }
    // The stream entering `layer`, one of stream_layers.
    std::span<const float> stream(uint32_t chunk, uint32_t layer) const {
        const size_t n = size_t(plan.n_ctx) * n_embd;
        const size_t slot = static_cast<size_t>(std::lower_bound(stream_layers.begin(), stream_layers.end(), layer) - stream_layers.begin());
        return {streams[chunk].data() + slot * n, n};
    }

    std::span<const float> row(uint32_t chunk, uint64_t position) const {
        return {log_probs.data() + (chunk * plan.scored_per_chunk() + position) * n_vocab, n_vocab};
    }
};

// The baseline model file: the input itself, or the input through the study's baseline stages,
// written to the study folder once (and again when `key`, the input and baseline section, changes).
std::filesystem::path baseline_model(const Study& study, const std::string& key);

// Scores `model` (the baseline model's file) on the study's chunks; `key` as above; threads as in
// SweepOptions. With `record_streams`, the streams entering `stream_layers` (ascending; the
// layers the study's candidates start at, resume_layers) are kept too, if they fit in `stream_cap` bytes.
Baseline prepare_baseline(const Study& study, const GgufFile& model, const std::string& key, unsigned threads, bool record_streams,
                          uint64_t stream_cap, std::span<const uint32_t> stream_layers);

}  // namespace qframe::sweep
