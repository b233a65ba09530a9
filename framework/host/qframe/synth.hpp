// Deterministic toy models of the architectures the engine runs (llama, qwen2, qwen2moe, qwen3, qwen3moe, gemma,
// gemma2, gemma3, phi3), named and
// keyed exactly as llama.cpp expects, so that tests and demos need no downloaded model. Same
// preset and seed, same bytes.
#pragma once

#include "qframe/export.hpp"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

#include "qframe/gguf_writer.hpp"
#include "qframe/types.hpp"

namespace qframe {

struct SynthPreset {
    std::string_view name;
    std::string_view description;
    // general.architecture: llama, qwen2 (adds QKV biases), qwen2moe (also a shared expert),
    // qwen3 and qwen3moe (per-head Q/K norms), gemma, gemma2 (adds post norms), gemma3 (post and
    // Q/K norms), phi3 (fused attn_qkv and gate+up ffn_up, LongRoPE's rope_factors_short/long)
    std::string_view arch = "llama";
    uint32_t n_layer = 0, n_embd = 0, n_ff = 0, n_head = 0, n_head_kv = 0, n_vocab = 0, n_ctx = 0;
    uint32_t head_dim = 0;            // {arch}.attention.key_length; 0: n_embd / n_head, no key written
    float rope_base = 10000.0f;
    float rms_eps = 1e-5f;
    TensorType matrix_type = TensorType::F32;  // token_embd, attention and feed-forward matrices, output
    bool rope_freqs = false;          // Llama-3 style rope_freqs.weight (values not BF16-exact)
    bool q4_k_m_mix = false;          // per-matrix types as llama.cpp's Q4_K_M picks them (Q4_K/Q6_K)
    bool tied_output = false;         // no output.weight: token_embd.weight is the output (gemma always)
    // The output matrix's values are N(0, output_gain / sqrt(n_embd)): above 1 the logits are far
    // from uniform, so that a perplexity compared with llama.cpp's says something.
    float output_gain = 1.0f;
    // attn_output and ffn_down (what each layer adds to the residual stream) N(0, residual_gain /
    // sqrt(cols)), and post norms near residual_gain: above 1 the layers outweigh the embedding, so that a tied output does not
    // predict the input token again.
    float residual_gain = 1.0f;
    // attn_q and attn_k N(0, qk_gain / sqrt(cols)): above 1 each token attends to few positions
    // instead of averaging them all (an average is much the same for every token). Where the
    // architecture norms queries and keys per head, their norms' weights are near qk_gain instead.
    float qk_gain = 1.0f;
    uint32_t sliding_window = 0;      // {arch}.attention.sliding_window when not 0
    uint32_t n_expert = 0, n_expert_used = 0;  // a mixture of experts (llama: Mixtral; qwen2moe) when n_expert > 0
    uint32_t n_ff_exp = 0, n_ff_shexp = 0;     // qwen2moe: {arch}.expert_feed_forward_length, expert_shared_feed_forward_length
    uint32_t rope_original_ctx = 0;   // {arch}.rope.scaling.original_context_length when not 0
    float rope_attn_factor = 0;       // {arch}.rope.scaling.attn_factor when not 0
    float rope_scale_factor = 0;      // {arch}.rope.scaling.type linear with this factor when not 0
    float attn_softcap = 0, final_softcap = 0;  // {arch}.{attn,final}_logit_softcapping when not 0
};

// The type llama.cpp's Q4_K_M gives a matrix of a dense llama model with n_layer blocks:
// Q6_K for output.weight and for attn_v/ffn_down in the layers use_more_bits() picks, else Q4_K.
QFRAME_API TensorType q4_k_m_type(std::string_view tensor_name, uint32_t n_layer);

inline constexpr std::string_view kDefaultSynthPreset = "tinyllama";

QFRAME_API std::span<const SynthPreset> synth_presets();
QFRAME_API const SynthPreset* find_synth_preset(std::string_view name);

// The preset at another depth: n_layer blocks (1 to kMaxSynthLayers) instead of its own, the
// rest unchanged; its general.name then says the depth. Throws qframe::Error outside the range.
inline constexpr int64_t kMaxSynthLayers = 512;
QFRAME_API SynthPreset with_layers(const SynthPreset& preset, int64_t n_layer);

// Writes the model atomically to `path`; throws qframe::Error.
QFRAME_API void synthesize_model(const SynthPreset& preset, uint64_t seed, const std::filesystem::path& path,
                      const WriteOptions& options = {});

}  // namespace qframe
