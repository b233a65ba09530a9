#include "arch.hpp"

#include <array>

namespace qframe::engine {
namespace {

constexpr std::array kArchs{
    ArchSpec{.name = "llama", .rope = RopePairs::adjacent, .activation = FfnActivation::silu, .rope_freqs = true, .experts = true,
             .normalized_expert_weights = true},
    ArchSpec{.name = "qwen2", .rope = RopePairs::halves, .activation = FfnActivation::silu, .qkv_bias = true},
    ArchSpec{.name = "qwen2moe",
             .rope = RopePairs::halves,
             .activation = FfnActivation::silu,
             .qkv_bias = true,
             .output_required = true,
             .experts = true,
             .experts_required = true,
             .shared_expert = true},
    ArchSpec{.name = "qwen3", .rope = RopePairs::halves, .activation = FfnActivation::silu, .qk_norm = true},
    ArchSpec{.name = "qwen3moe",
             .rope = RopePairs::halves,
             .activation = FfnActivation::silu,
             .qk_norm = true,
             .experts = true,
             .experts_required = true,
             .normalized_expert_weights = true},
    ArchSpec{.name = "gemma",
             .rope = RopePairs::halves,
             .activation = FfnActivation::gelu,
             .embedding_scale = true,
             .query_prescale = true,
             .output_always_tied = true},
    ArchSpec{.name = "gemma2",
             .rope = RopePairs::halves,
             .activation = FfnActivation::gelu,
             .embedding_scale = true,
             .query_prescale = true,
             .width_query_scale_layers = 46,
             .output_always_tied = true,
             .post_norms = true,
             .softcaps = true,
             .sliding_window = SlidingWindow::even_layers,
             .default_window = 4096},
    ArchSpec{.name = "gemma3",
             .rope = RopePairs::halves,
             .activation = FfnActivation::gelu,
             .qk_norm = true,
             .embedding_scale = true,
             .query_prescale = true,
             .width_query_scale_layers = 62,
             .post_norms = true,
             .sliding_window = SlidingWindow::five_in_six,
             .window_rope_base = 10000.0f},
    ArchSpec{.name = "phi3",
             .rope = RopePairs::halves,
             .activation = FfnActivation::silu,
             .query_prescale = true,
             .rope_factor_pair = true,
             .fused_qkv = true,
             .fused_gate_up = true,
             .output_required = true,
             .sliding_window = SlidingWindow::all_layers},
};

}  // namespace

const ArchSpec* find_arch(std::string_view name) {
    for (const ArchSpec& a : kArchs)
        if (a.name == name) return &a;
    return nullptr;
}

std::string supported_arch_names() {
    std::string out;
    for (const ArchSpec& a : kArchs) {
        if (!out.empty()) out += ", ";
        out += a.name;
    }
    return out;
}

}  // namespace qframe::engine
