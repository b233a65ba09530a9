// Deterministic toy Llama-architecture models, named and keyed exactly as llama.cpp expects, so
// that tests and demos need no downloaded model. Same preset and seed, same bytes.
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
    uint32_t n_layer, n_embd, n_ff, n_head, n_head_kv, n_vocab, n_ctx;
    float rope_base;
    TensorType matrix_type;    // token_embd, attention and feed-forward matrices, output
    bool rope_freqs;           // Llama-3 style rope_freqs.weight (values not BF16-exact)
    bool q4_k_m_mix = false;   // per-matrix types as llama.cpp's Q4_K_M picks them (Q4_K/Q6_K)
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
