// Facts from llama.cpp c392e50: enum llama_ftype, llama_model_ftype_name, default_type in
// llama_model_quantize_impl, llama-quantize's refusals without an importance matrix, and
// llama_model_loader's constructor (the guess and its order, weight_name_comparer).
#include "qframe/file_type.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <vector>

#include "qframe/types.hpp"

namespace qframe {
namespace {

using T = TensorType;

constexpr std::array<LlamaFileType, 33> kFileTypes{{
    {0, "F32", "all F32", T::F32, T::F32},
    {1, "F16", "F16", T::F16, T::F16},
    {2, "Q4_0", "Q4_0", T::Q4_0, T::Q4_0},
    {3, "Q4_1", "Q4_1", T::Q4_1, T::Q4_1},
    {7, "Q8_0", "Q8_0", T::Q8_0, T::Q8_0},
    {8, "Q5_0", "Q5_0", T::Q5_0, T::Q5_0},
    {9, "Q5_1", "Q5_1", T::Q5_1, T::Q5_1},
    {10, "Q2_K", "Q2_K - Medium", T::Q2_K, T::Q2_K},
    {11, "Q3_K_S", "Q3_K - Small", T::Q3_K},
    {12, "Q3_K_M", "Q3_K - Medium", T::Q3_K, T::Q3_K},
    {13, "Q3_K_L", "Q3_K - Large", T::Q3_K},
    {14, "Q4_K_S", "Q4_K - Small", T::Q4_K},
    {15, "Q4_K_M", "Q4_K - Medium", T::Q4_K, T::Q4_K},
    {16, "Q5_K_S", "Q5_K - Small", T::Q5_K},
    {17, "Q5_K_M", "Q5_K - Medium", T::Q5_K, T::Q5_K},
    {18, "Q6_K", "Q6_K", T::Q6_K, T::Q6_K},
    {19, "IQ2_XXS", "IQ2_XXS - 2.0625 bpw", T::IQ2_XXS, T::IQ2_XXS, true},
    {20, "IQ2_XS", "IQ2_XS - 2.3125 bpw", T::IQ2_XS, T::IQ2_XS, true},
    {21, "Q2_K_S", "Q2_K - Small", T::Q2_K, std::nullopt, true},
    {22, "IQ3_XS", "IQ3_XS - 3.3 bpw", T::IQ3_S},
    {23, "IQ3_XXS", "IQ3_XXS - 3.0625 bpw", T::IQ3_XXS, T::IQ3_XXS},
    {24, "IQ1_S", "IQ1_S - 1.5625 bpw", T::IQ1_S, T::IQ1_S, true},
    {25, "IQ4_NL", "IQ4_NL - 4.5 bpw", T::IQ4_NL, T::IQ4_NL},
    {26, "IQ3_S", "IQ3_S - 3.4375 bpw", T::IQ3_S, T::IQ3_S},
    {27, "IQ3_M", "IQ3_S mix - 3.66 bpw", T::IQ3_S},
    {28, "IQ2_S", "IQ2_S - 2.5 bpw", T::IQ2_XS, T::IQ2_S, true},
    {29, "IQ2_M", "IQ2_M - 2.7 bpw", T::IQ2_S},
    {30, "IQ4_XS", "IQ4_XS - 4.25 bpw", T::IQ4_XS, T::IQ4_XS},
    {31, "IQ1_M", "IQ1_M - 1.75 bpw", T::IQ1_M, T::IQ1_M, true},
    {32, "BF16", "BF16", T::BF16, T::BF16},
    {36, "TQ1_0", "TQ1_0 - 1.69 bpw ternary", T::TQ1_0, T::TQ1_0},
    {37, "TQ2_0", "TQ2_0 - 2.06 bpw ternary", T::TQ2_0, T::TQ2_0},
}};

// sscanf(name, "blk.%d.", &layer) as weight_name_comparer does: -1 when the name has no layer.
int layer_of(std::string_view name) {
    constexpr std::string_view prefix = "blk.";
    if (!name.starts_with(prefix)) return -1;
    int layer = -1;
    const char* first = name.data() + prefix.size();
    const auto [end, ec] = std::from_chars(first, name.data() + name.size(), layer);
    return ec == std::errc() && end != first ? layer : -1;
}

}  // namespace

std::span<const LlamaFileType> llama_file_types() { return kFileTypes; }

const LlamaFileType* find_llama_mix(std::string_view mix) {
    for (const auto& e : kFileTypes)
        if (e.mix == mix) return &e;
    return nullptr;
}

const LlamaFileType* find_llama_file_type(uint32_t id) {
    for (const auto& e : kFileTypes)
        if (e.id == id) return &e;
    return nullptr;
}

std::optional<uint32_t> llama_file_type_of(uint32_t type_id) {
    for (const auto& e : kFileTypes)
        if (e.guessed_from && static_cast<uint32_t>(*e.guessed_from) == type_id) return e.id;
    return std::nullopt;
}

uint32_t guess_llama_file_type(std::span<const NamedTensorType> tensors) {
    std::vector<NamedTensorType> ordered(tensors.begin(), tensors.end());
    std::sort(ordered.begin(), ordered.end(), [](const NamedTensorType& a, const NamedTensorType& b) {
        const int la = layer_of(a.name), lb = layer_of(b.name);
        return la != lb ? la < lb : a.name < b.name;
    });
    std::map<uint32_t, uint32_t> counts;
    uint32_t top_count = 0, top_type = static_cast<uint32_t>(TensorType::F32);
    for (const auto& t : ordered) {
        if (++counts[t.type_id] > top_count) {
            top_count = counts[t.type_id];
            top_type = t.type_id;
        }
    }
    return llama_file_type_of(top_type).value_or(0);
}

std::string llama_file_type_name(uint32_t file_type) {
    const LlamaFileType* e = find_llama_file_type(file_type);
    return e ? std::string(e->name) : "unknown";
}

}  // namespace qframe
