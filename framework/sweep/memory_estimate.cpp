// What a study holds in memory, estimated before any work (qframe sweep --dry-run).
#include "candidate.hpp"
#include "qframe/engine/model.hpp"
#include "qframe/sweep.hpp"

namespace qframe {

SweepMemory estimate_sweep_memory(const Study& study, const GgufFile& model, const std::vector<Candidate>& candidates, const SweepOptions& options) {
    const engine::HParams h = engine::Model::load(model).config();  // a copy: the model goes with this line
    SweepMemory m;
    m.model = model.bytes().size();
    const uint64_t chunks = study.chunks, ctx = study.ctx, rows = chunks * (ctx - ctx / 2 - 1);
    m.log_probs = rows * h.n_vocab * sizeof(float);
    m.compact = study.baseline_tail_mass > 0;
    // A capped compact baseline: 8 bytes a kept token, 16 a row (its start and rest) and its NLL.
    if (m.compact && study.baseline_max_tokens) m.compact_cap = rows * (uint64_t(std::min(study.baseline_max_tokens, h.n_vocab)) * 8 + 24);
    // The streams entering the layers candidates start at (all of them for a study of every layer).
    const uint64_t streams = chunks * sweep::resume_layers(model, candidates).size() * ctx * h.n_embd * sizeof(float);
    m.streams = options.prefix_reuse && streams <= options.prefix_cap ? streams : 0;
    // One candidate's pass: the chunk's logits, the K and V caches, the widest activations (the
    // FFN's gate, up and their product) and the residual stream.
    const uint64_t kv = uint64_t(h.n_layer) * ctx * h.n_head_kv * h.head_dim * 2 * sizeof(float);
    const uint64_t ff = std::max(h.n_ff, std::max(h.n_ff_exp, h.n_ff_shexp)) * std::max(1u, h.n_expert_used);
    m.per_job = ctx * h.n_vocab * sizeof(float) + kv + ctx * (3 * ff + 4 * h.n_embd) * sizeof(float);
    for (const auto& c : candidates) {
        uint64_t bytes = 0;
        for (size_t i : c.tensors) bytes += model.tensors()[i].n_bytes;
        m.largest_group = std::max(m.largest_group, bytes);
    }
    return m;
}

}  // namespace qframe
