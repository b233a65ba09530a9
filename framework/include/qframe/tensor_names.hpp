// What a tensor is, from its GGUF name: llama.cpp's tensor names (src/llama-arch.cpp,
// LLM_TENSOR_NAMES) as roles, and one parser for every place that asks — llama.cpp's mix rules,
// synth, the engine's callers. "blk.N.<base>.<suffix>" or "<base>.<suffix>".
#pragma once

#include <string_view>

#include "qframe/export.hpp"

namespace qframe {

enum class TensorRole {
    other,  // a name outside the table
    token_embd, output_norm, output, rope_freqs, rope_factors_long, rope_factors_short,
    attn_norm, attn_q, attn_k, attn_v, attn_qkv, attn_output, attn_q_norm, attn_k_norm, attn_post_norm,
    ffn_norm, ffn_gate, ffn_up, ffn_down, ffn_post_norm,
    ffn_gate_inp, ffn_gate_exps, ffn_up_exps, ffn_down_exps,                  // mixture of experts
    ffn_gate_inp_shexp, ffn_gate_shexp, ffn_up_shexp, ffn_down_shexp,         // its shared expert
};

struct TensorName {
    int layer = -1;                       // N of "blk.N.", -1 outside the blocks
    TensorRole role = TensorRole::other;
    std::string_view base;                // the name without "blk.N." and the suffix: "attn_q", "post_ffw_norm"
    std::string_view suffix;              // "weight", "bias", or empty
};

// Views into `name`, which must outlive the result.
QFRAME_API TensorName parse_tensor_name(std::string_view name);

// The role's base as GGUF files spell it ("post_attention_norm" for attn_post_norm); empty for other.
QFRAME_API std::string_view role_base_name(TensorRole role);

}  // namespace qframe
