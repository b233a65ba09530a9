// Private to the engine: the architectures it runs, one row each, as llama.cpp c392e50 builds
// their graphs (src/llama.cpp build_llama, build_qwen2, build_qwen2moe, build_gemma, build_gemma2,
// build_phi3; the rope kind from llama_model_rope_type in src/llama-model.cpp) and, for qwen3,
// qwen3moe and gemma3, which c392e50 predates, as current llama.cpp does (src/models/qwen3.cpp,
// qwen3moe.cpp, gemma3.cpp). One forward pass (context.cpp) reads these switches; no
// architecture has a copy of it.
#pragma once

#include <string>
#include <string_view>

namespace qframe::engine {

// Which values of a head rotate together.
enum class RopePairs {
    adjacent,  // LLAMA_ROPE_TYPE_NORM: (2i, 2i+1)
    halves,    // LLAMA_ROPE_TYPE_NEOX: (i, i + n_rot/2)
};

// Which layers attend only to the last n_swa positions ({arch}.attention.sliding_window).
enum class SlidingWindow {
    none,
    even_layers,  // gemma2: layers 0, 2, 4, …
    five_in_six,  // gemma3: every layer but 5, 11, 17, … (llama.cpp's swa pattern 6)
    all_layers,   // phi3 (the key is required there)
};

// The gate's activation in the gated feed-forward network: act(gate · x) ⊙ (up · x).
enum class FfnActivation { silu, gelu };  // LLM_FFN_SILU, LLM_FFN_GELU (tanh approximation)

struct ArchSpec {
    std::string_view name;  // general.architecture, and the prefix of its hyperparameter keys
    RopePairs rope = RopePairs::adjacent;
    FfnActivation activation = FfnActivation::silu;
    bool qkv_bias = false;         // attn_{q,k,v}.bias, required (qwen2)
    // attn_q_norm / attn_k_norm: each head's queries and keys RMS-normed before the rotation
    // (qwen3, gemma3)
    bool qk_norm = false;
    bool embedding_scale = false;  // the embeddings times sqrt(n_embd) (gemma)
    // The queries times 1/sqrt(head_dim) after the rotation, the scores unscaled (gemma); else
    // the scores are scaled inside the softmax (llama, qwen2). The same value, rounded elsewhere.
    bool query_prescale = false;
    // A model of this many layers (the family's 27B) scales its queries by 1/sqrt(n_embd / n_head)
    // instead of 1/sqrt(head_dim), as llama.cpp's size switch does (gemma2: 46, gemma3: 62).
    uint32_t width_query_scale_layers = 0;
    bool output_always_tied = false;  // token_embd.weight is the output; output.weight is not read (gemma)
    bool rope_freqs = false;          // rope_freqs.weight divides the frequencies when present (llama 3.x)
    // rope_factors_short.weight / rope_factors_long.weight divide them, the long ones for contexts
    // beyond {arch}.rope.scaling.original_context_length (phi3's LongRoPE)
    bool rope_factor_pair = false;
    // attn_qkv.weight: the rows of Q, K and V in one matrix; ffn_up.weight: the rows of the gate,
    // then of the up projection (phi3)
    bool fused_qkv = false, fused_gate_up = false;
    bool output_required = false;     // llama.cpp refuses the model without output.weight (phi3)
    // {arch}.expert_count > 0 gives every layer a router (ffn_gate_inp) and experts
    // (ffn_{gate,up,down}_exps) instead of the FFN: softmax over the router's logits, the top
    // expert_used_count experts weighted by their probabilities (llama: Mixtral; qwen2moe)
    bool experts = false;
    bool experts_required = false;      // a dense model is refused (qwen2moe)
    bool normalized_expert_weights = false;  // the chosen experts' weights divided by their sum (llama)
    // ffn_{gate,up,down}_shexp beside the experts, its output times sigmoid(ffn_gate_inp_shexp · x)
    // (qwen2moe)
    bool shared_expert = false;
    // attn_post_norm after the attention's output and ffn_post_norm after the FFN's, each before
    // its residual (gemma2).
    bool post_norms = false;
    // Scores and logits capped as cap · tanh(v / cap) ({arch}.attn_logit_softcapping, default 50;
    // {arch}.final_logit_softcapping, default 30) (gemma2).
    bool softcaps = false;
    SlidingWindow sliding_window = SlidingWindow::none;
    uint32_t default_window = 0;  // n_swa when the key is absent
    // The sliding-window layers rotate with this base and no frequency scaling, the others with
    // {arch}.rope.freq_base and its scaling (gemma3: 10000); 0: every layer alike.
    float window_rope_base = 0;
};

// The row for a general.architecture; nullptr when the engine does not run it.
const ArchSpec* find_arch(std::string_view name);
// "llama, qwen2, …": for errors.
std::string supported_arch_names();

}  // namespace qframe::engine
