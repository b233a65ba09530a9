#include "mix_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "qframe/error.hpp"
#include "qframe/llama_rules.hpp"
#include "qframe/tensor_names.hpp"

namespace qframe::llama_mix {
namespace {

using T = TensorType;

// The low-bit IQ mixes that llama_tensor_get_type treats as one family (its third branch).
bool is_low_iq(Mix mix) {
    return mix == Mix::IQ2_XXS || mix == Mix::IQ2_XS || mix == Mix::IQ1_S || mix == Mix::IQ2_S || mix == Mix::IQ2_M || mix == Mix::IQ1_M;
}
bool is_iq2_s_or_m(Mix mix) { return mix == Mix::IQ2_S || mix == Mix::IQ2_M; }

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }
uint32_t block_size(T type) { return find_type(static_cast<uint32_t>(type))->block_size; }

// The architectures whose rules are transcribed (llama_tensor_get_type has branches for falcon
// and others that are not).
constexpr std::string_view kArchitectures[] = {"llama", "qwen2", "qwen2moe", "gemma", "gemma2", "phi3"};

// What llama-quantize knows of the model (its quantize_state_impl and hparams).
struct ModelFacts {
    int n_layer = 0, n_expert = 0, n_gqa = 0;
    bool has_output = false, is_70b = false;
    bool has_importance = false;  // llama.cpp's has_imatrix: the run weighs by an importance matrix

    explicit ModelFacts(const ModelInfo& model) {
        const Metadata& m = model.metadata;
        const std::string arch = m.get_string("general.architecture").value_or("");
        if (std::find(std::begin(kArchitectures), std::end(kArchitectures), arch) == std::end(kArchitectures))
            throw Error(fmt::format("llama.cpp's mixes are reproduced for the architectures {} only, not '{}'",
                                    fmt::join(kArchitectures, ", "), arch));
        const auto key = [&](std::string_view suffix) { return fmt::format("{}.{}", arch, suffix); };
        n_layer = static_cast<int>(block_count(m));
        check_depth(model, key("block_count"));
        const auto n_head = m.get_u64(key("attention.head_count")).value_or(0);
        const auto n_head_kv = m.get_u64(key("attention.head_count_kv")).value_or(n_head);
        n_gqa = n_head_kv ? static_cast<int>(n_head / n_head_kv) : 0;
        n_expert = static_cast<int>(m.get_u64(key("expert_count")).value_or(0));
        has_output = model.has_tensor("output.weight");
        has_importance = model.has_importance;
        // llama-model.cpp's LLM_TYPE_70B: 80-layer llamas with grouped KV heads, any 80-layer qwen2.
        is_70b = n_layer == 80 && ((arch == "llama" && n_expert != 8 && n_head != n_head_kv) || arch == "qwen2");
    }

    // The rules choose by depth (use_more_bits, the attn_v and ffn_down counters): a block count
    // that disagrees with the blocks the tensors name would give types meant for another model.
    void check_depth(const ModelInfo& model, const std::string& key) const {
        int deepest = -1;
        for (std::string_view name : model.tensor_names) deepest = std::max(deepest, tensor_layer(name));
        if (deepest + 1 == n_layer) return;
        const std::string blocks = deepest < 0 ? "no block" : fmt::format("{} blocks (blk.0 … blk.{})", deepest + 1, deepest);
        throw Error(fmt::format("the model's {} is {}, but its tensors name {}: llama.cpp's mixes choose types by depth, "
                                "so the metadata must match the tensors",
                                key, n_layer, blocks));
    }
};

using R = TensorRole;

// The value tensors llama-quantize counts (n_attention_wv): attn_v, and phi3's fused attn_qkv.
bool is_value_tensor(std::string_view name) {
    const TensorName n = parse_tensor_name(name);
    return n.suffix == "weight" && (n.role == R::attn_v || n.role == R::attn_qkv);
}

// llama-quantize visits tensors by layer, then by name; its counters (i_attention_wv, i_ffn_down)
// are this tensor's rank in that order among the tensors `counted`, which number `count`.
template <class Counted>
std::pair<int, int> rank_among(const ModelInfo& model, std::string_view name, Counted counted) {
    const auto order = [](std::string_view n) { return std::make_tuple(tensor_layer(n), n); };
    int rank = 0, count = 0;
    for (std::string_view other : model.tensor_names) {
        if (!counted(other)) continue;
        ++count;
        rank += order(other) < order(name);
    }
    return {rank, count};
}

std::pair<int, int> value_tensor_rank(const ModelInfo& model, std::string_view name) { return rank_among(model, name, is_value_tensor); }

// The tensors whose name holds "ffn_down" (the experts' and the shared expert's too).
bool is_down_tensor(std::string_view name) { return contains(name, "ffn_down") && name.ends_with("weight"); }

size_t n_dims(const TensorData& t) {  // ggml_n_dims: trailing 1s do not count
    size_t n = t.dims.size();
    while (n > 1 && t.dims[n - 1] == 1) --n;
    return n;
}

// llama_model_quantize_impl's filter: which tensors a mix quantizes at all.
bool quantized(const TensorData& t) {
    const std::string_view name = t.name;
    if (!name.ends_with("weight") || n_dims(t) < 2) return false;
    for (std::string_view never : {"_norm.weight", "ffn_gate_inp.weight", "ssm_conv1d.weight", "time_mix_first.weight", "time_mix_w1.weight",
                                   "time_mix_w2.weight", "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
                                   "attn_rel_b.weight"})
        if (contains(name, never)) return false;
    return name != "position_embd.weight" && name != "token_types.weight";
}

// What llama_tensor_get_type tells apart (llama.cpp's tensor categories): the experts' and the
// shared expert's down projections count as ffn_down; a tied token_embd is the output.
enum class Category { output, token_embd, attn_v, attn_k, attn_q, attn_qkv, attn_output, ffn_down, ffn_gate, ffn_up, other };

Category category(const TensorName& n, const ModelFacts& m) {
    switch (n.role) {
        case R::output: return Category::output;
        case R::token_embd: return m.has_output ? Category::token_embd : Category::output;
        case R::attn_v: return Category::attn_v;
        case R::attn_k: return Category::attn_k;
        case R::attn_q: return Category::attn_q;
        case R::attn_qkv: return Category::attn_qkv;
        case R::attn_output: return Category::attn_output;
        case R::ffn_down: case R::ffn_down_exps: case R::ffn_down_shexp: return Category::ffn_down;
        case R::ffn_gate: case R::ffn_gate_exps: case R::ffn_gate_shexp: return Category::ffn_gate;
        case R::ffn_up: case R::ffn_up_exps: case R::ffn_up_shexp: return Category::ffn_up;
        default: return Category::other;
    }
}

T output_type(Mix mix, T type, uint64_t nx, const MixSettings& settings) {
    if (settings.output_tensor_type) return *settings.output_tensor_type;
    if (nx % block_size(type) != 0) return T::Q8_0;
    if (is_low_iq(mix) || mix == Mix::IQ3_XXS) return T::Q5_K;
    return type != T::Q8_0 ? T::Q6_K : type;
}

T token_embd_type(Mix mix, T type) {
    if (mix == Mix::IQ2_XXS || mix == Mix::IQ2_XS || mix == Mix::IQ1_S || mix == Mix::IQ1_M) return T::Q2_K;
    if (is_iq2_s_or_m(mix) || mix == Mix::IQ3_XXS) return T::IQ3_S;
    if (mix == Mix::TQ1_0 || mix == Mix::TQ2_0) return T::Q4_K;
    return type;
}

// The low-bit IQ mixes' own rules (llama_tensor_get_type's third branch): a few tensors get
// Q2_K … Q5_K or IQ3_S, the rest keep the base type.
T low_iq_type(Mix mix, T type, const ModelFacts& m, const TensorData& t, Category c) {
    switch (c) {
        case Category::attn_v:
            if (m.n_gqa >= 4 || m.n_expert >= 4) return T::Q4_K;
            return is_iq2_s_or_m(mix) ? T::IQ3_S : T::Q2_K;
        case Category::attn_k: return m.n_expert == 8 ? T::Q4_K : type;
        case Category::ffn_down: {  // by the counter itself, not the layer
            const int i_ffn_down = rank_among(*t.model, t.name, is_down_tensor).first;
            if (i_ffn_down < m.n_layer / 8) return is_iq2_s_or_m(mix) ? T::IQ3_S : T::Q2_K;
            return type;
        }
        case Category::attn_output:
            if (m.n_expert == 8) return T::Q5_K;
            if (mix == Mix::IQ1_S || mix == Mix::IQ1_M) return T::IQ2_XXS;
            return is_iq2_s_or_m(mix) ? T::IQ3_S : type;
        default: return type;
    }
}

T value_type(Mix mix, T type, const ModelFacts& m, const TensorData& t) {
    const auto [i_wv, n_wv] = value_tensor_rank(*t.model, t.name);
    if (mix == Mix::Q2_K) type = m.n_gqa >= 4 ? T::Q4_K : T::Q3_K;
    else if (mix == Mix::Q2_K_S && m.n_gqa >= 4) type = T::Q4_K;
    else if (mix == Mix::IQ3_XXS) type = m.n_gqa >= 4 ? T::Q4_K : !m.has_importance ? T::IQ3_S : T::IQ3_XXS;
    else if ((mix == Mix::IQ3_XS || mix == Mix::IQ3_S) && m.n_gqa >= 4) type = T::Q4_K;
    else if (mix == Mix::IQ3_M) type = T::Q4_K;
    else if (mix == Mix::Q3_K_M) type = i_wv < 2 ? T::Q5_K : T::Q4_K;
    else if (mix == Mix::Q3_K_L) type = T::Q5_K;
    else if ((mix == Mix::IQ4_NL || mix == Mix::IQ4_XS) && m.n_gqa >= 4) type = T::Q5_K;
    else if ((mix == Mix::Q4_K_M || mix == Mix::Q5_K_M) && use_more_bits(i_wv, n_wv)) type = T::Q6_K;
    else if (mix == Mix::Q4_K_S && i_wv < 4) type = T::Q5_K;
    // 70B: 8 heads share attn_v, 8× smaller than attn_q: more bits cost little
    if (m.is_70b && (type == T::Q3_K || type == T::Q4_K)) type = T::Q5_K;
    if (m.n_expert == 8) type = T::Q8_0;
    return type;
}

T down_type(Mix mix, T type, const ModelFacts& m, int i_layer) {
    const int n_layer = m.n_layer;
    if (mix == Mix::Q2_K) return T::Q3_K;
    if (mix == Mix::Q2_K_S) return i_layer < n_layer / 8 ? T::Q4_K : type;
    if (mix == Mix::IQ3_XXS && !m.has_importance) return i_layer < n_layer / 8 ? T::Q4_K : T::Q3_K;
    if (mix == Mix::Q3_K_M) return i_layer < n_layer / 16 ? T::Q5_K : T::Q4_K;  // not Falcon: Q4_K either way
    if (mix == Mix::IQ3_M && (i_layer < n_layer / 8 || (m.n_expert == 8 && use_more_bits(i_layer, n_layer)))) return T::Q4_K;
    if (mix == Mix::Q3_K_L) return T::Q5_K;
    if ((mix == Mix::Q4_K_M || mix == Mix::Q5_K_M) && use_more_bits(i_layer, n_layer)) return T::Q6_K;
    if ((mix == Mix::IQ4_NL || mix == Mix::IQ4_XS) && !m.has_importance && i_layer < n_layer / 8) return T::Q5_K;
    if (mix == Mix::Q4_K_S && i_layer < n_layer / 8) return T::Q5_K;
    // With an importance matrix the first eighth of ffn_down gets the type with a min: Q4_0/Q5_0
    // there go wrong even so (llama.cpp's "craziness" guard; without one, nothing changes).
    if ((mix == Mix::Q4_0 || mix == Mix::Q5_0) && m.has_importance && i_layer < n_layer / 8) return mix == Mix::Q4_0 ? T::Q4_1 : T::Q5_1;
    return type;
}

T attn_output_type(Mix mix, T type, const ModelFacts& m) {
    if (m.n_expert == 8) {  // and Q3_K_L keeps its base type there
        for (Mix bumped : {Mix::Q2_K, Mix::IQ3_XS, Mix::IQ3_XXS, Mix::Q3_K_S, Mix::Q3_K_M, Mix::IQ4_NL, Mix::Q4_K_S, Mix::Q4_K_M, Mix::IQ3_S,
                           Mix::IQ3_M, Mix::IQ4_XS})
            if (mix == bumped) return T::Q5_K;
        return type;
    }
    if (mix == Mix::Q2_K) return T::Q3_K;
    if (mix == Mix::IQ3_XXS) return T::IQ3_S;
    if (mix == Mix::Q3_K_M || mix == Mix::IQ3_M) return T::Q4_K;
    if (mix == Mix::Q3_K_L) return T::Q5_K;
    return type;
}

// attn_k (but with 8 experts) and attn_q.
T query_key_type(Mix mix, T type) {
    if (mix == Mix::IQ3_XS) return T::IQ3_XXS;
    if (mix == Mix::IQ3_XXS) return T::IQ2_S;
    return type;
}

// ffn_gate and ffn_up: IQ3_XS's middle three quarters.
T gate_up_type(Mix mix, T type, const ModelFacts& m, int i_layer) {
    if (mix == Mix::IQ3_XS && i_layer >= m.n_layer / 8 && i_layer < 7 * m.n_layer / 8) return T::IQ3_XXS;
    return type;
}

T qkv_type(Mix mix, T type) {
    if (mix == Mix::Q3_K_M || mix == Mix::Q3_K_L || mix == Mix::IQ3_M) return T::Q4_K;
    if (mix == Mix::Q4_K_M) return T::Q5_K;
    if (mix == Mix::Q5_K_M) return T::Q6_K;
    return type;
}

// Rows that do not fit the type's blocks: llama-quantize's fallbacks.
T fallback(T type, uint64_t nx) {
    if (nx % block_size(type) == 0) return type;
    const T wanted = type;
    switch (type) {
        case T::TQ1_0: case T::TQ2_0: type = T::Q4_0; break;
        case T::IQ2_XXS: case T::IQ2_XS: case T::IQ2_S: case T::IQ3_XXS: case T::IQ3_S: case T::IQ1_S: case T::IQ1_M:
        case T::Q2_K: case T::Q3_K: case T::IQ4_XS: type = T::IQ4_NL; break;
        case T::Q4_K: type = T::Q5_0; break;
        case T::Q5_K: type = T::Q5_1; break;
        case T::Q6_K: type = T::Q8_0; break;
        default:
            throw Error(fmt::format("rows of {} values fit no block of {} (llama-quantize refuses this tensor: \"Unsupported tensor size\")", nx,
                                    type_name(wanted)));
    }
    return nx % block_size(type) == 0 ? type : T::F16;
}

// llama_tensor_get_type for the architectures of kArchitectures.
T choose(Mix mix, T type, const ModelFacts& m, const TensorData& t, const MixSettings& settings) {
    const uint64_t nx = t.row_length();
    const TensorName name = parse_tensor_name(t.name);
    const Category c = category(name, m);
    if (c == Category::output) type = output_type(mix, type, nx, settings);
    else if (c == Category::token_embd) type = token_embd_type(mix, type);
    else if (is_low_iq(mix)) type = low_iq_type(mix, type, m, t, c);
    else switch (c) {
        case Category::attn_v: type = value_type(mix, type, m, t); break;
        case Category::attn_k: type = m.n_expert == 8 ? T::Q8_0 : query_key_type(mix, type); break;
        case Category::attn_q: type = query_key_type(mix, type); break;
        case Category::ffn_down: type = down_type(mix, type, m, name.layer); break;
        case Category::attn_output: type = attn_output_type(mix, type, m); break;
        case Category::attn_qkv: type = qkv_type(mix, type); break;
        case Category::ffn_gate: case Category::ffn_up: type = gate_up_type(mix, type, m, name.layer); break;
        default: break;
    }
    return fallback(type, nx);
}

// The first --tensor-type pattern found in the name, if any.
std::optional<T> manual_type(const MixSettings& settings, std::string_view name) {
    for (const auto& [pattern, type] : settings.tensor_types)
        if (pattern.search(name)) return type;
    return std::nullopt;
}

}  // namespace

const MixInfo* find_mix(std::string_view name) { return find_llama_mix(name); }

std::string mix_names() {
    std::string out;
    for (const auto& m : llama_file_types()) out += fmt::format("{}{}", out.empty() ? "" : ", ", m.mix);
    return out;
}

bool needs_importance(const MixInfo& mix, TensorType type, std::string_view tensor_name) {
    switch (type) {
        case T::IQ2_XXS: case T::IQ2_XS: case T::IQ2_S: case T::IQ1_S: return true;
        case T::IQ1_M: return tensor_name != "token_embd.weight" && tensor_name != "output.weight";
        case T::Q2_K: return mix_of(mix) == Mix::Q2_K_S && tensor_name != "token_embd.weight";
        default: return false;
    }
}

std::optional<TensorType> mix_type(const MixInfo& mix, const TensorData& tensor, const MixSettings& settings) {
    if (!tensor.model) throw Error("a llama.cpp mix chooses by the whole model, and this tensor comes without one");
    if (!quantized(tensor) || (!settings.quantize_output && tensor.name == "output.weight")) return std::nullopt;
    TensorType type = mix.base;
    // The rules (and the patterns) only refine a quantized base type: F16, BF16 and F32 convert
    // every tensor the filter lets through.
    if (find_type(static_cast<uint32_t>(mix.base))->block_size > 1) {
        if (const auto manual = manual_type(settings, tensor.name)) type = fallback(*manual, tensor.row_length());
        else if (settings.pure) type = fallback(type, tensor.row_length());
        else type = choose(mix_of(mix), type, ModelFacts(*tensor.model), tensor, settings);  // refuses an architecture not transcribed
    }
    if (settings.token_embedding_type && tensor.name == "token_embd.weight") type = *settings.token_embedding_type;
    if (settings.output_tensor_type && tensor.name == "output.weight") type = *settings.output_tensor_type;
    if (tensor.type && tensor.type->type == type) return std::nullopt;  // already that type: llama-quantize copies it
    return type;
}

}  // namespace qframe::llama_mix
