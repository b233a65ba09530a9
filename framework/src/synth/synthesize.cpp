#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "qframe/codec.hpp"
#include "qframe/error.hpp"
#include "qframe/file_type.hpp"
#include "qframe/llama_rules.hpp"
#include "qframe/stage.hpp"
#include "qframe/synth.hpp"
#include "qframe/tensor_names.hpp"
#include "synth/random.hpp"
#include "synth/vocabulary.hpp"

namespace qframe {
namespace {

// Toy-sized mirrors of the original study's two models and of the other architectures' small
// members, plus full-size llamas for benchmarks.
constexpr std::array kPresets{
    SynthPreset{.name = "tinyllama", .description = "like TinyLlama-1.1B (quantized matrices, F32 norms all BF16-exact), toy size",
                .n_layer = 4, .n_embd = 256, .n_ff = 768, .n_head = 8, .n_head_kv = 4, .n_vocab = 512, .n_ctx = 2048,
                .matrix_type = TensorType::Q8_0},
    SynthPreset{.name = "llama3", .description = "like Llama-3.2-1B (F16 matrices, F32 norms, full-precision rope_freqs.weight), toy size",
                .n_layer = 4, .n_embd = 256, .n_ff = 768, .n_head = 8, .n_head_kv = 2, .n_vocab = 512, .n_ctx = 8192,
                .rope_base = 500000.0f, .matrix_type = TensorType::F16, .rope_freqs = true},
    SynthPreset{.name = "tinyllama-q4_k_m", .description = "like TinyLlama-1.1B Q4_K_M (the study's file): Q4_K/Q6_K matrices as llama.cpp mixes them, toy size",
                .n_layer = 4, .n_embd = 256, .n_ff = 768, .n_head = 8, .n_head_kv = 4, .n_vocab = 512, .n_ctx = 2048,
                .matrix_type = TensorType::Q4_K, .q4_k_m_mix = true},
    SynthPreset{.name = "micro", .description = "the smallest llama that loads (1 layer, 32 wide, 300 tokens): fuzzing seeds and quick tests",
                .n_layer = 1, .n_embd = 32, .n_ff = 64, .n_head = 2, .n_head_kv = 1, .n_vocab = 300, .n_ctx = 256,
                .matrix_type = TensorType::Q8_0},
    SynthPreset{.name = "tinyllama-1.1b", .description = "TinyLlama-1.1B's shapes (22 layers, 2048 wide), Q8_0 matrices: about 1.2 GB",
                .n_layer = 22, .n_embd = 2048, .n_ff = 5632, .n_head = 32, .n_head_kv = 4, .n_vocab = 32000, .n_ctx = 2048,
                .matrix_type = TensorType::Q8_0},
    SynthPreset{.name = "tinyllama-1.1b-f16", .description = "TinyLlama-1.1B's shapes with F16 matrices (the sweep benchmark's model): about 2.2 GB",
                .n_layer = 22, .n_embd = 2048, .n_ff = 5632, .n_head = 32, .n_head_kv = 4, .n_vocab = 32000, .n_ctx = 2048,
                .matrix_type = TensorType::F16},
    SynthPreset{.name = "llama3-8b-f16", .description = "Llama-3-8B's shapes (32 layers, 4096 wide, 8 KV heads, 128256 tokens), F16 matrices: about 16 GB (the 8B study's memory check)",
                .n_layer = 32, .n_embd = 4096, .n_ff = 14336, .n_head = 32, .n_head_kv = 8, .n_vocab = 128256, .n_ctx = 8192,
                .rope_base = 500000.0f, .matrix_type = TensorType::F16},
    SynthPreset{.name = "qwen2", .description = "like Qwen2.5-0.5B (qwen2: QKV biases, NEOX rope, tied output), Q8_0 matrices, toy size",
                .arch = "qwen2", .n_layer = 4, .n_embd = 256, .n_ff = 768, .n_head = 4, .n_head_kv = 2, .n_vocab = 512, .n_ctx = 32768,
                .rope_base = 1000000.0f, .rms_eps = 1e-6f, .matrix_type = TensorType::Q8_0, .tied_output = true, .output_gain = 2.0f, .residual_gain = 3.0f, .qk_gain = 1.5f},
    SynthPreset{.name = "qwen2.5-0.5b", .description = "Qwen2.5-0.5B's shapes (24 layers, 896 wide, 14 heads of 64, 151936 tokens, tied output), Q8_0 matrices: about 0.5 GB",
                .arch = "qwen2", .n_layer = 24, .n_embd = 896, .n_ff = 4864, .n_head = 14, .n_head_kv = 2, .n_vocab = 151936, .n_ctx = 32768,
                .rope_base = 1000000.0f, .rms_eps = 1e-6f, .matrix_type = TensorType::Q8_0, .tied_output = true},
    SynthPreset{.name = "qwen2-untied", .description = "like Qwen2.5-7B (qwen2 with its own output.weight), F16 matrices, toy size",
                .arch = "qwen2", .n_layer = 4, .n_embd = 256, .n_ff = 768, .n_head = 8, .n_head_kv = 2, .n_vocab = 512, .n_ctx = 32768,
                .rope_base = 1000000.0f, .rms_eps = 1e-6f, .matrix_type = TensorType::F16, .output_gain = 2.0f, .qk_gain = 1.5f},
    SynthPreset{.name = "gemma", .description = "like Gemma-7B (gemma: embeddings x sqrt(n_embd), GELU, NEOX rope, heads wider than n_embd / n_head, tied output), toy size",
                .arch = "gemma", .n_layer = 4, .n_embd = 256, .n_ff = 1024, .n_head = 8, .n_head_kv = 2, .n_vocab = 512, .n_ctx = 8192,
                .head_dim = 64, .rms_eps = 1e-6f, .matrix_type = TensorType::Q8_0, .tied_output = true, .output_gain = 2.0f,
                .residual_gain = 8.0f, .qk_gain = 1.5f},
    // llama.cpp c392e50 loads gemma2 only with 26, 42 or 46 layers (its size classes): 26 narrow ones.
    SynthPreset{.name = "gemma2", .description = "like Gemma-2-2B (gemma2: post norms, soft-capped scores and logits, sliding window on even layers), narrow, 26 layers",
                .arch = "gemma2", .n_layer = 26, .n_embd = 128, .n_ff = 256, .n_head = 4, .n_head_kv = 2, .n_vocab = 512, .n_ctx = 8192,
                .head_dim = 64, .rms_eps = 1e-6f, .matrix_type = TensorType::F16, .tied_output = true, .output_gain = 2.5f,
                .residual_gain = 6.0f, .qk_gain = 1.5f, .sliding_window = 48, .attn_softcap = 5.0f, .final_softcap = 10.0f},
    SynthPreset{.name = "phi3", .description = "like Phi-3-mini-128k (phi3: fused QKV and gate+up, LongRoPE factors, sliding window), Q8_0 matrices, toy size",
                .arch = "phi3", .n_layer = 4, .n_embd = 256, .n_ff = 768, .n_head = 8, .n_head_kv = 4, .n_vocab = 512, .n_ctx = 131072,
                .rms_eps = 1e-5f, .matrix_type = TensorType::Q8_0, .output_gain = 2.0f, .qk_gain = 1.25f, .sliding_window = 48,
                .rope_original_ctx = 4096, .rope_attn_factor = 1.1902380714238083f},
    SynthPreset{.name = "mixtral", .description = "like Mixtral-8x7B (llama with 4 experts, 2 per token, an F32 router), Q8_0 matrices, toy size",
                .n_layer = 4, .n_embd = 256, .n_ff = 512, .n_head = 8, .n_head_kv = 4, .n_vocab = 512, .n_ctx = 32768,
                .rope_base = 1000000.0f, .matrix_type = TensorType::Q8_0, .output_gain = 2.0f, .qk_gain = 1.25f, .n_expert = 4, .n_expert_used = 2},
    SynthPreset{.name = "mixtral8", .description = "as mixtral with Mixtral-8x7B's 8 experts (2 per token): llama.cpp's 8-expert type rules apply, Q8_0, toy size",
                .n_layer = 4, .n_embd = 256, .n_ff = 512, .n_head = 8, .n_head_kv = 4, .n_vocab = 512, .n_ctx = 32768,
                .rope_base = 1000000.0f, .matrix_type = TensorType::Q8_0, .output_gain = 2.0f, .qk_gain = 1.25f, .n_expert = 8, .n_expert_used = 2},
    // The mixtral preset's active shape as a dense llama (an FFN of 2 experts x 512): what a token
    // of the MoE model computes, for speed comparisons (tools/bench/engine/arch_speed.sh).
    SynthPreset{.name = "mixtral-active", .description = "a dense llama of the mixtral preset's active size (FFN 1024 = 2 used experts x 512), Q8_0, toy size",
                .n_layer = 4, .n_embd = 256, .n_ff = 1024, .n_head = 8, .n_head_kv = 4, .n_vocab = 512, .n_ctx = 32768,
                .rope_base = 1000000.0f, .matrix_type = TensorType::Q8_0, .output_gain = 2.0f, .qk_gain = 1.25f},
    SynthPreset{.name = "qwen2moe", .description = "like Qwen1.5-MoE-A2.7B (qwen2moe: 6 experts, 2 per token, and a gated shared expert; QKV biases), Q8_0, toy size",
                .arch = "qwen2moe", .n_layer = 4, .n_embd = 256, .n_ff = 768, .n_head = 4, .n_head_kv = 2, .n_vocab = 512, .n_ctx = 8192,
                .rope_base = 1000000.0f, .rms_eps = 1e-6f, .matrix_type = TensorType::Q8_0, .output_gain = 2.0f, .qk_gain = 1.25f,
                .n_expert = 6, .n_expert_used = 2, .n_ff_exp = 256, .n_ff_shexp = 512},
    SynthPreset{.name = "qwen3", .description = "like Qwen3-0.6B (qwen3: per-head Q/K norms, heads wider than n_embd / n_head, NEOX rope, tied output), Q8_0, toy size",
                .arch = "qwen3", .n_layer = 4, .n_embd = 256, .n_ff = 768, .n_head = 4, .n_head_kv = 2, .n_vocab = 512, .n_ctx = 40960,
                .head_dim = 128, .rope_base = 1000000.0f, .rms_eps = 1e-6f, .matrix_type = TensorType::Q8_0, .tied_output = true,
                .output_gain = 2.0f, .residual_gain = 3.0f, .qk_gain = 1.25f},
    SynthPreset{.name = "qwen3moe", .description = "like Qwen3-30B-A3B (qwen3moe: Q/K norms, 8 experts, 2 per token, weights renormalised), Q8_0, toy size",
                .arch = "qwen3moe", .n_layer = 4, .n_embd = 256, .n_ff = 768, .n_head = 4, .n_head_kv = 2, .n_vocab = 512, .n_ctx = 40960,
                .head_dim = 64, .rope_base = 1000000.0f, .rms_eps = 1e-6f, .matrix_type = TensorType::Q8_0, .output_gain = 2.0f,
                .residual_gain = 2.0f, .qk_gain = 1.5f, .n_expert = 8, .n_expert_used = 2, .n_ff_exp = 128},
    SynthPreset{.name = "gemma3", .description = "like Gemma-3-4B (gemma3: Q/K norms, post norms, 5 of 6 layers windowed with their own rope base, linear rope scaling), Q4_0, toy size",
                .arch = "gemma3", .n_layer = 6, .n_embd = 256, .n_ff = 512, .n_head = 4, .n_head_kv = 1, .n_vocab = 512, .n_ctx = 131072,
                .head_dim = 64, .rope_base = 1000000.0f, .rms_eps = 1e-6f, .matrix_type = TensorType::Q4_0, .tied_output = true,
                .output_gain = 2.0f, .residual_gain = 3.0f, .qk_gain = 1.25f, .sliding_window = 32, .rope_scale_factor = 8.0f},
};

// Each family's chat format: its markers (control tokens of the vocabulary) and an excerpt of its
// tokenizer.chat_template that llama.cpp's detection (and eval.generate's) recognises.
struct ChatMarkers {
    std::array<std::string_view, 4> archs;  // the architectures whose presets use it
    std::array<std::string_view, 5> controls;  // empty ones are skipped
    std::string_view chat_template;
};
constexpr std::array kChatMarkers{
    ChatMarkers{{"qwen2", "qwen2moe", "qwen3", "qwen3moe"}, {"<|endoftext|>", "<|im_start|>", "<|im_end|>"},
                "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
                "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"},
    ChatMarkers{{"gemma", "gemma2", "gemma3"}, {"<start_of_turn>", "<end_of_turn>"},
                "{{ bos_token }}{% for message in messages %}{{ '<start_of_turn>' + message['role'] + '\n' + message['content'] | trim + "
                "'<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}"},
    // llama.cpp looks up <|endoftext|> in any model whose general.name says phi3.
    ChatMarkers{{"phi3"}, {"<|endoftext|>", "<|assistant|>", "<|end|>", "<|user|>", "<|system|>"},
                "{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + message['content'] + '<|end|>\n'}}{% endfor %}"
                "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"},
};

const ChatMarkers* chat_markers(std::string_view arch) {
    for (const ChatMarkers& c : kChatMarkers)
        if (std::find(c.archs.begin(), c.archs.end(), arch) != c.archs.end()) return &c;
    return nullptr;
}

// llama.cpp's general.file_type for a model whose matrices are all `type`.
uint32_t file_type_of(TensorType type) {
    if (const auto file_type = llama_file_type_of(static_cast<uint32_t>(type))) return *file_type;
    throw Error(fmt::format("synth: no file type for {} matrices", type_name(type)));
}

// Llama-3's rope scaling factors (factor 8, low 1, high 4, original context 8192): 1 for high
// frequencies, 8 for low ones, a smooth blend between — the blend is what is not BF16-exact.
std::vector<float> llama3_rope_factors(uint32_t head_dim, float base) {
    const double factor = 8, low = 1, high = 4, old_ctx = 8192;
    const double low_wavelen = old_ctx / low, high_wavelen = old_ctx / high;
    std::vector<float> out;
    for (uint32_t i = 0; i < head_dim; i += 2) {
        const double freq = 1.0 / std::pow(static_cast<double>(base), static_cast<double>(i) / head_dim);
        const double wavelen = 2 * M_PI / freq;
        if (wavelen < high_wavelen) out.push_back(1.0f);
        else if (wavelen > low_wavelen) out.push_back(static_cast<float>(factor));
        else {
            const double smooth = (old_ctx / wavelen - low) / (high - low);
            out.push_back(static_cast<float>(1.0 / ((1 - smooth) / factor + smooth)));
        }
    }
    return out;
}

std::span<const std::byte> as_bytes(const std::vector<float>& v) { return std::as_bytes(std::span(v)); }

class ModelBuilder {
public:
    ModelBuilder(const SynthPreset& p, uint64_t seed) : p_(p), seed_(seed) {}

    GgufLayout layout() const {
        GgufLayout layout;
        Metadata& m = layout.metadata;
        const ChatMarkers* chat = chat_markers(p_.arch);
        std::vector<std::string_view> controls;
        if (chat)
            for (std::string_view c : chat->controls)
                if (!c.empty()) controls.push_back(c);
        const auto vocab = synth::make_spm_vocabulary(p_.n_vocab, controls);
        const auto key = [this](std::string_view suffix) { return fmt::format("{}.{}", p_.arch, suffix); };
        m.set("general.architecture", Value::string(std::string(p_.arch)));
        m.set("general.name", Value::string(fmt::format("qframe-synth-{}{}-seed{}", p_.name, depth_tag(), seed_)));
        m.set(key("context_length"), Value::u32(p_.n_ctx));
        m.set(key("embedding_length"), Value::u32(p_.n_embd));
        m.set(key("block_count"), Value::u32(p_.n_layer));
        m.set(key("feed_forward_length"), Value::u32(p_.n_ff));
        m.set(key("attention.head_count"), Value::u32(p_.n_head));
        m.set(key("attention.head_count_kv"), Value::u32(p_.n_head_kv));
        if (p_.head_dim) {
            m.set(key("attention.key_length"), Value::u32(p_.head_dim));
            m.set(key("attention.value_length"), Value::u32(p_.head_dim));
        }
        m.set(key("attention.layer_norm_rms_epsilon"), Value::f32(p_.rms_eps));
        m.set(key("rope.freq_base"), Value::f32(p_.rope_base));
        m.set(key("rope.dimension_count"), Value::u32(head_dim()));
        m.set(key("vocab_size"), Value::u32(p_.n_vocab));
        if (p_.n_expert) {
            m.set(key("expert_count"), Value::u32(p_.n_expert));
            m.set(key("expert_used_count"), Value::u32(p_.n_expert_used));
        }
        if (p_.n_ff_exp) m.set(key("expert_feed_forward_length"), Value::u32(p_.n_ff_exp));
        if (p_.n_ff_shexp) m.set(key("expert_shared_feed_forward_length"), Value::u32(p_.n_ff_shexp));
        if (p_.sliding_window) m.set(key("attention.sliding_window"), Value::u32(p_.sliding_window));
        if (p_.rope_original_ctx) m.set(key("rope.scaling.original_context_length"), Value::u32(p_.rope_original_ctx));
        if (p_.rope_attn_factor) m.set(key("rope.scaling.attn_factor"), Value::f32(p_.rope_attn_factor));
        if (p_.rope_scale_factor) {
            m.set(key("rope.scaling.type"), Value::string("linear"));
            m.set(key("rope.scaling.factor"), Value::f32(p_.rope_scale_factor));
        }
        if (p_.attn_softcap) m.set(key("attn_logit_softcapping"), Value::f32(p_.attn_softcap));
        if (p_.final_softcap) m.set(key("final_logit_softcapping"), Value::f32(p_.final_softcap));
        m.set("general.file_type", Value::u32(file_type_of(p_.matrix_type)));
        m.set("tokenizer.ggml.model", Value::string("llama"));
        m.set("tokenizer.ggml.tokens", Value::string_array(vocab.tokens));
        m.set("tokenizer.ggml.scores", Value::array_of(ValueType::FLOAT32, vocab.scores));
        m.set("tokenizer.ggml.token_type", Value::array_of(ValueType::INT32, vocab.types));
        m.set("tokenizer.ggml.bos_token_id", Value::u32(vocab.bos_id));
        m.set("tokenizer.ggml.eos_token_id", Value::u32(vocab.eos_id));
        m.set("tokenizer.ggml.unknown_token_id", Value::u32(vocab.unk_id));
        m.set("tokenizer.ggml.add_bos_token", Value::boolean(true));
        m.set("tokenizer.ggml.add_eos_token", Value::boolean(false));
        if (chat) m.set("tokenizer.chat_template", Value::string(std::string(chat->chat_template)));
        return layout;
    }

    std::vector<OutputTensor> tensors() const {
        std::vector<OutputTensor> out;
        const uint32_t e = p_.n_embd, q = p_.n_head * head_dim(), kv = p_.n_head_kv * head_dim();
        add_matrix(out, "token_embd.weight", e, p_.n_vocab, p_.tied_output ? p_.output_gain : 1.0f);
        if (p_.rope_freqs) add_f32(out, "rope_freqs.weight", llama3_rope_factors(head_dim(), p_.rope_base));
        const bool phi3 = p_.arch == "phi3";
        if (phi3) {  // LongRoPE's divisors: short ones near 1, long ones growing to 21 for the low frequencies
            std::vector<float> short_factors, long_factors;
            for (uint32_t i = 0; i < head_dim() / 2; ++i) {
                const float x = static_cast<float>(i) / static_cast<float>(head_dim() / 2 - 1);
                short_factors.push_back(1.0f + 0.5f * x);
                long_factors.push_back(1.0f + 20.0f * x * x);
            }
            add_f32(out, "rope_factors_long.weight", std::move(long_factors));
            add_f32(out, "rope_factors_short.weight", std::move(short_factors));
        }
        for (uint32_t l = 0; l < p_.n_layer; ++l) {
            const auto blk = [l](const char* what) { return fmt::format("blk.{}.{}.weight", l, what); };
            add_norm(out, blk("attn_norm"));
            if (phi3) {
                add_fused_qkv(out, blk("attn_qkv"), e, q, kv);
            } else {
                add_matrix(out, blk("attn_q"), e, q, p_.qk_gain);
                add_matrix(out, blk("attn_k"), e, kv, p_.qk_gain);
                add_matrix(out, blk("attn_v"), e, kv);
            }
            if (p_.arch == "qwen2" || p_.arch == "qwen2moe") {  // F32 biases, as in Qwen2's files
                add_bias(out, fmt::format("blk.{}.attn_q.bias", l), q);
                add_bias(out, fmt::format("blk.{}.attn_k.bias", l), kv);
                add_bias(out, fmt::format("blk.{}.attn_v.bias", l), kv);
            }
            if (qk_norms()) {  // centred on the preset's gain: the norms set the scores' scale
                add_norm(out, blk("attn_q_norm"), p_.qk_gain, head_dim());
                add_norm(out, blk("attn_k_norm"), p_.qk_gain, head_dim());
            }
            add_matrix(out, blk("attn_output"), q, e, p_.residual_gain);
            if (post_norms()) add_norm(out, blk("post_attention_norm"), p_.residual_gain);
            add_norm(out, blk("ffn_norm"));
            const uint32_t n_ff_exp = p_.n_ff_exp ? p_.n_ff_exp : p_.n_ff;
            if (p_.n_expert) {  // the router in F32 (llama-quantize never quantizes it), 2x wider: decisive routing
                add_f32_matrix(out, blk("ffn_gate_inp"), e, p_.n_expert, 2.0f);
                add_matrix(out, blk("ffn_gate_exps"), e, n_ff_exp, 1.0f, p_.n_expert);
                add_matrix(out, blk("ffn_up_exps"), e, n_ff_exp, 1.0f, p_.n_expert);
                if (p_.n_ff_shexp) {  // the shared expert and its gate's one row (F32, as the router)
                    add_f32_matrix(out, blk("ffn_gate_inp_shexp"), e, 1, 1.0f);
                    add_matrix(out, blk("ffn_gate_shexp"), e, p_.n_ff_shexp);
                    add_matrix(out, blk("ffn_up_shexp"), e, p_.n_ff_shexp);
                    add_matrix(out, blk("ffn_down_shexp"), p_.n_ff_shexp, e, p_.residual_gain);
                }
            } else if (phi3) {
                add_matrix(out, blk("ffn_up"), e, 2 * p_.n_ff);  // the gate's rows, then the up projection's
            } else {
                add_matrix(out, blk("ffn_gate"), e, p_.n_ff);
                add_matrix(out, blk("ffn_up"), e, p_.n_ff);
            }
            if (p_.n_expert) add_matrix(out, blk("ffn_down_exps"), n_ff_exp, e, p_.residual_gain, p_.n_expert);
            else add_matrix(out, blk("ffn_down"), p_.n_ff, e, p_.residual_gain);
            if (post_norms()) add_norm(out, blk("post_ffw_norm"), p_.residual_gain);
        }
        add_norm(out, "output_norm.weight");
        if (!p_.tied_output) add_matrix(out, "output.weight", e, p_.n_vocab, p_.output_gain);
        return out;
    }

private:
    uint32_t head_dim() const { return p_.head_dim ? p_.head_dim : p_.n_embd / p_.n_head; }
    bool qk_norms() const { return p_.arch == "qwen3" || p_.arch == "qwen3moe" || p_.arch == "gemma3"; }
    bool post_norms() const { return p_.arch == "gemma2" || p_.arch == "gemma3"; }

    // "-22l" for a preset made deeper or shallower with with_layers, so that the name tells it apart.
    std::string depth_tag() const {
        const SynthPreset* original = find_synth_preset(p_.name);
        return original && original->n_layer != p_.n_layer ? fmt::format("-{}l", p_.n_layer) : "";
    }

    // A [cols x rows] matrix (ggml order: ne0 = cols, the input width) with N(0, gain/sqrt(cols)),
    // or n_expert of them in one [cols x rows x n_expert] tensor.
    void add_matrix(std::vector<OutputTensor>& out, std::string name, uint32_t cols, uint32_t rows, float gain = 1.0f,
                    uint32_t n_expert = 0) const {
        const TensorType t = p_.q4_k_m_mix ? q4_k_m_type(name, p_.n_layer) : p_.matrix_type;
        add_random(out, std::move(name), t, cols, rows, gain, n_expert);
    }

    // The same in F32.
    void add_f32_matrix(std::vector<OutputTensor>& out, std::string name, uint32_t cols, uint32_t rows, float gain) const {
        add_random(out, std::move(name), TensorType::F32, cols, rows, gain, 0);
    }

    // N(0, gain / sqrt(cols)) values; the first `boosted_rows` rows (of the first expert) times
    // `boost` (a fused matrix whose parts have their own gains).
    void add_random(std::vector<OutputTensor>& out, std::string name, TensorType t, uint32_t cols, uint32_t rows, float gain,
                    uint32_t n_expert, uint32_t boosted_rows = 0, float boost = 1.0f) const {
        const TypeInfo& type = type_info(t);
        const uint64_t n = static_cast<uint64_t>(cols) * rows * std::max(n_expert, 1u);
        std::vector<uint64_t> dims{cols, rows};
        if (n_expert) dims.push_back(n_expert);
        if (rows == 1 && !n_expert) dims.pop_back();  // one row: a vector, as qwen2moe's shared expert gate
        const float scale = gain / std::sqrt(static_cast<float>(cols));
        const uint64_t seed = synth::stream_seed(seed_, name);
        out.push_back({name, static_cast<uint32_t>(t), dims, *byte_size(type, n),
                       [=](std::vector<std::byte>& scratch) {
                           synth::SplitMix64 rng(seed);
                           std::vector<float> values(n);
                           const uint64_t boosted = uint64_t(cols) * boosted_rows;
                           for (uint64_t i = 0; i < n; ++i) values[i] = rng.normal() * scale * (i < boosted ? boost : 1.0f);
                           scratch.resize(*byte_size(type, n));
                           encode(t, values, scratch);
                           return std::span<const std::byte>(scratch);
                       },
                       {}, {}});
    }

    // Q, K and V rows in one matrix, Q's and K's with the preset's gain.
    void add_fused_qkv(std::vector<OutputTensor>& out, std::string name, uint32_t cols, uint32_t q, uint32_t kv) const {
        add_random(out, std::move(name), p_.matrix_type, cols, q + 2 * kv, 1.0f, 0, q + kv, p_.qk_gain);
    }

    // RMSNorm weights near `center` (1, or the residual gain for the norms whose output is what
    // a layer adds), n_embd of them unless n says otherwise, rounded to BF16 so that they are BF16-exact like real checkpoints.
    void add_norm(std::vector<OutputTensor>& out, std::string name, float center = 1.0f, uint32_t n = 0) const {
        synth::SplitMix64 rng(synth::stream_seed(seed_, name));
        std::vector<float> values(n ? n : p_.n_embd);
        for (auto& v : values) v = bf16_to_f32(f32_to_bf16_nearest_even(center * (1.0f + 0.1f * rng.normal())));
        add_f32(out, std::move(name), std::move(values));
    }

    // A bias vector, N(0, 0.1).
    void add_bias(std::vector<OutputTensor>& out, std::string name, uint32_t n) const {
        synth::SplitMix64 rng(synth::stream_seed(seed_, name));
        std::vector<float> values(n);
        for (auto& v : values) v = 0.1f * rng.normal();
        add_f32(out, std::move(name), std::move(values));
    }

    static void add_f32(std::vector<OutputTensor>& out, std::string name, std::vector<float> values) {
        const uint64_t n = values.size();
        auto shared = std::make_shared<const std::vector<float>>(std::move(values));
        out.push_back({std::move(name), static_cast<uint32_t>(TensorType::F32), {n}, n * sizeof(float),
                       [shared](std::vector<std::byte>&) { return as_bytes(*shared); }, {}, {}});
    }

    const SynthPreset& p_;
    uint64_t seed_;
};

}  // namespace

TensorType q4_k_m_type(std::string_view name, uint32_t n_layer) {
    if (name == "output.weight") return TensorType::Q6_K;
    const TensorName n = parse_tensor_name(name);
    const bool more_bits_kind = n.suffix == "weight" && (n.role == TensorRole::attn_v || n.role == TensorRole::ffn_down);
    if (more_bits_kind && use_more_bits(n.layer, static_cast<int>(n_layer))) return TensorType::Q6_K;
    return TensorType::Q4_K;
}

std::span<const SynthPreset> synth_presets() { return kPresets; }

const SynthPreset* find_synth_preset(std::string_view name) {
    for (const auto& p : kPresets)
        if (p.name == name) return &p;
    return nullptr;
}

SynthPreset with_layers(const SynthPreset& preset, int64_t n_layer) {
    if (n_layer < 1 || n_layer > kMaxSynthLayers)
        throw Error(fmt::format("a synthesized model has 1 to {} layers, not {}", kMaxSynthLayers, n_layer));
    SynthPreset out = preset;
    out.n_layer = static_cast<uint32_t>(n_layer);
    return out;
}

void synthesize_model(const SynthPreset& preset, uint64_t seed, const std::filesystem::path& path, const WriteOptions& options) {
    ModelBuilder builder(preset, seed);
    write_gguf(path, builder.layout(), builder.tensors(), options);
}

}  // namespace qframe
