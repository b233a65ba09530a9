#include "qframe/tensor_names.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace qframe {
namespace {

using R = TensorRole;

// LLM_TENSOR_NAMES' spellings, without "blk.%d." and the suffix.
constexpr std::array<std::pair<R, std::string_view>, 28> kRoleNames{{
    {R::token_embd, "token_embd"},
    {R::output_norm, "output_norm"},
    {R::output, "output"},
    {R::rope_freqs, "rope_freqs"},
    {R::rope_factors_long, "rope_factors_long"},
    {R::rope_factors_short, "rope_factors_short"},
    {R::attn_norm, "attn_norm"},
    {R::attn_q, "attn_q"},
    {R::attn_k, "attn_k"},
    {R::attn_v, "attn_v"},
    {R::attn_qkv, "attn_qkv"},
    {R::attn_output, "attn_output"},
    {R::attn_q_norm, "attn_q_norm"},
    {R::attn_k_norm, "attn_k_norm"},
    {R::attn_post_norm, "post_attention_norm"},
    {R::ffn_norm, "ffn_norm"},
    {R::ffn_gate, "ffn_gate"},
    {R::ffn_up, "ffn_up"},
    {R::ffn_down, "ffn_down"},
    {R::ffn_post_norm, "post_ffw_norm"},
    {R::ffn_gate_inp, "ffn_gate_inp"},
    {R::ffn_gate_exps, "ffn_gate_exps"},
    {R::ffn_up_exps, "ffn_up_exps"},
    {R::ffn_down_exps, "ffn_down_exps"},
    {R::ffn_gate_inp_shexp, "ffn_gate_inp_shexp"},
    {R::ffn_gate_shexp, "ffn_gate_shexp"},
    {R::ffn_up_shexp, "ffn_up_shexp"},
    {R::ffn_down_shexp, "ffn_down_shexp"},
}};

}  // namespace

TensorName parse_tensor_name(std::string_view name) {
    TensorName out;
    if (name.starts_with("blk.")) {
        const char* first = name.data() + 4;
        const char* last = name.data() + name.size();
        int layer = -1;
        const auto [p, ec] = std::from_chars(first, last, layer);
        if (ec == std::errc() && p != first && p != last && *p == '.') {
            out.layer = layer;
            name.remove_prefix(static_cast<size_t>(p + 1 - name.data()));
        }
    }
    out.base = name;
    for (std::string_view suffix : {"weight", "bias"})
        if (name.size() > suffix.size() && name.ends_with(suffix) && name[name.size() - suffix.size() - 1] == '.') {
            out.base = name.substr(0, name.size() - suffix.size() - 1);
            out.suffix = name.substr(name.size() - suffix.size());
        }
    // The model-wide roles outside the blocks, the others inside them.
    for (const auto& [role, base] : kRoleNames) {
        const bool model_wide = role <= R::rope_factors_short;
        if (base == out.base && model_wide == (out.layer < 0)) out.role = role;
    }
    return out;
}

std::string_view role_base_name(TensorRole role) {
    for (const auto& [r, base] : kRoleNames)
        if (r == role) return base;
    return {};
}

}  // namespace qframe
