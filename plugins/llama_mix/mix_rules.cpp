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

constexpr MixInfo kMixes[] = {
    {Mix::Q2_K, "Q2_K", T::Q2_K},     {Mix::Q3_K_S, "Q3_K_S", T::Q3_K}, {Mix::Q3_K_M, "Q3_K_M", T::Q3_K}, {Mix::Q3_K_L, "Q3_K_L", T::Q3_K},
    {Mix::Q4_K_S, "Q4_K_S", T::Q4_K}, {Mix::Q4_K_M, "Q4_K_M", T::Q4_K}, {Mix::Q5_K_S, "Q5_K_S", T::Q5_K}, {Mix::Q5_K_M, "Q5_K_M", T::Q5_K},
    {Mix::Q6_K, "Q6_K", T::Q6_K},     {Mix::Q8_0, "Q8_0", T::Q8_0},     {Mix::Q4_0, "Q4_0", T::Q4_0},     {Mix::Q4_1, "Q4_1", T::Q4_1},
    {Mix::Q5_0, "Q5_0", T::Q5_0},     {Mix::Q5_1, "Q5_1", T::Q5_1},     {Mix::Q2_K_S, "Q2_K_S", T::Q2_K, true},
    {Mix::F16, "F16", T::F16},        {Mix::BF16, "BF16", T::BF16},     {Mix::F32, "F32", T::F32},
};

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

// llama-quantize visits tensors by layer, then by name; its attn_v counter is this tensor's rank
// among the value tensors in that order, and their number is n_attention_wv.
std::pair<int, int> value_tensor_rank(const ModelInfo& model, std::string_view name) {
    const auto order = [](std::string_view n) { return std::make_tuple(tensor_layer(n), n); };
    int rank = 0, count = 0;
    for (std::string_view other : model.tensor_names) {
        if (!is_value_tensor(other)) continue;
        ++count;
        rank += order(other) < order(name);
    }
    return {rank, count};
}

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
enum class Category { output, token_embd, attn_v, attn_k, attn_qkv, attn_output, ffn_down, other };

Category category(const TensorName& n, const ModelFacts& m) {
    switch (n.role) {
        case R::output: return Category::output;
        case R::token_embd: return m.has_output ? Category::token_embd : Category::output;
        case R::attn_v: return Category::attn_v;
        case R::attn_k: return Category::attn_k;
        case R::attn_qkv: return Category::attn_qkv;
        case R::attn_output: return Category::attn_output;
        case R::ffn_down: case R::ffn_down_exps: case R::ffn_down_shexp: return Category::ffn_down;
        default: return Category::other;
    }
}

T output_type(T type, uint64_t nx, const MixSettings& settings) {
    if (settings.output_tensor_type) return *settings.output_tensor_type;
    if (nx % block_size(type) != 0) return T::Q8_0;
    return type != T::Q8_0 ? T::Q6_K : type;
}

T value_type(Mix mix, T type, const ModelFacts& m, const TensorData& t) {
    const auto [i_wv, n_wv] = value_tensor_rank(*t.model, t.name);
    if (mix == Mix::Q2_K) type = m.n_gqa >= 4 ? T::Q4_K : T::Q3_K;
    else if (mix == Mix::Q2_K_S && m.n_gqa >= 4) type = T::Q4_K;
    else if (mix == Mix::Q3_K_M) type = i_wv < 2 ? T::Q5_K : T::Q4_K;
    else if (mix == Mix::Q3_K_L) type = T::Q5_K;
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
    if (mix == Mix::Q3_K_M) return i_layer < n_layer / 16 ? T::Q5_K : T::Q4_K;  // not Falcon: Q4_K either way
    if (mix == Mix::Q3_K_L) return T::Q5_K;
    if ((mix == Mix::Q4_K_M || mix == Mix::Q5_K_M) && use_more_bits(i_layer, n_layer)) return T::Q6_K;
    if (mix == Mix::Q4_K_S && i_layer < n_layer / 8) return T::Q5_K;
    // With an importance matrix the first eighth of ffn_down gets the type with a min: Q4_0/Q5_0
    // there go wrong even so (llama.cpp's "craziness" guard; without one, nothing changes).
    if ((mix == Mix::Q4_0 || mix == Mix::Q5_0) && m.has_importance && i_layer < n_layer / 8) return mix == Mix::Q4_0 ? T::Q4_1 : T::Q5_1;
    return type;
}

T attn_output_type(Mix mix, T type, const ModelFacts& m) {
    if (m.n_expert == 8)  // and Q3_K_L keeps its base type there
        return mix == Mix::Q2_K || mix == Mix::Q3_K_S || mix == Mix::Q3_K_M || mix == Mix::Q4_K_S || mix == Mix::Q4_K_M ? T::Q5_K : type;
    if (mix == Mix::Q2_K) return T::Q3_K;
    if (mix == Mix::Q3_K_M) return T::Q4_K;
    if (mix == Mix::Q3_K_L) return T::Q5_K;
    return type;
}

T qkv_type(Mix mix, T type) {
    if (mix == Mix::Q3_K_M || mix == Mix::Q3_K_L) return T::Q4_K;
    if (mix == Mix::Q4_K_M) return T::Q5_K;
    if (mix == Mix::Q5_K_M) return T::Q6_K;
    return type;
}

// Rows that do not fit the type's blocks: llama-quantize's fallbacks.
T fallback(T type, uint64_t nx) {
    if (nx % block_size(type) == 0) return type;
    const T wanted = type;
    switch (type) {
        case T::Q2_K: case T::Q3_K: type = T::IQ4_NL; break;
        case T::Q4_K: type = T::Q5_0; break;
        case T::Q5_K: type = T::Q5_1; break;
        case T::Q6_K: type = T::Q8_0; break;
        default:
            throw Error(fmt::format("rows of {} values fit no block of {} (llama-quantize refuses this tensor: \"Unsupported tensor size\")", nx,
                                    type_name(wanted)));
    }
    return nx % block_size(type) == 0 ? type : T::F16;
}

// llama_tensor_get_type for the mixes above and the architectures of kArchitectures.
T choose(Mix mix, T type, const ModelFacts& m, const TensorData& t, const MixSettings& settings) {
    const uint64_t nx = t.row_length();
    const TensorName name = parse_tensor_name(t.name);
    switch (category(name, m)) {
        case Category::output: type = output_type(type, nx, settings); break;
        case Category::token_embd: break;  // only the IQ and TQ mixes change it
        case Category::attn_v: type = value_type(mix, type, m, t); break;
        case Category::attn_k: if (m.n_expert == 8) type = T::Q8_0; break;
        case Category::ffn_down: type = down_type(mix, type, m, name.layer); break;
        case Category::attn_output: type = attn_output_type(mix, type, m); break;
        case Category::attn_qkv: type = qkv_type(mix, type); break;
        case Category::other: break;
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

const MixInfo* find_mix(std::string_view name) {
    for (const auto& m : kMixes)
        if (name == m.name) return &m;
    return nullptr;
}

std::string mix_names() {
    std::string out;
    for (const auto& m : kMixes) out += fmt::format("{}{}", out.empty() ? "" : ", ", m.name);
    return out;
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
        else type = choose(mix.mix, type, ModelFacts(*tensor.model), tensor, settings);  // refuses an architecture not transcribed
    }
    if (settings.token_embedding_type && tensor.name == "token_embd.weight") type = *settings.token_embedding_type;
    if (settings.output_tensor_type && tensor.name == "output.weight") type = *settings.output_tensor_type;
    if (tensor.type && tensor.type->type == type) return std::nullopt;  // already that type: llama-quantize copies it
    return type;
}

}  // namespace qframe::llama_mix
