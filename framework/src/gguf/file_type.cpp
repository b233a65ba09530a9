// Facts from llama.cpp c392e50: llama_model_loader's constructor (the guess and its order,
// weight_name_comparer in llama-model-loader.h) and llama_model_ftype_name.
#include "qframe/file_type.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <vector>

#include "qframe/types.hpp"

namespace qframe {
namespace {

struct FileTypeEntry {
    uint32_t file_type;
    std::string_view name;
    std::optional<TensorType> guessed_from;  // the tensor type the loader maps to this file type
};

constexpr std::array kFileTypes{
    FileTypeEntry{0, "all F32", TensorType::F32},
    FileTypeEntry{1, "F16", TensorType::F16},
    FileTypeEntry{2, "Q4_0", TensorType::Q4_0},
    FileTypeEntry{3, "Q4_1", TensorType::Q4_1},
    FileTypeEntry{7, "Q8_0", TensorType::Q8_0},
    FileTypeEntry{8, "Q5_0", TensorType::Q5_0},
    FileTypeEntry{9, "Q5_1", TensorType::Q5_1},
    FileTypeEntry{10, "Q2_K - Medium", TensorType::Q2_K},
    FileTypeEntry{11, "Q3_K - Small", std::nullopt},
    FileTypeEntry{12, "Q3_K - Medium", TensorType::Q3_K},
    FileTypeEntry{13, "Q3_K - Large", std::nullopt},
    FileTypeEntry{14, "Q4_K - Small", std::nullopt},
    FileTypeEntry{15, "Q4_K - Medium", TensorType::Q4_K},
    FileTypeEntry{16, "Q5_K - Small", std::nullopt},
    FileTypeEntry{17, "Q5_K - Medium", TensorType::Q5_K},
    FileTypeEntry{18, "Q6_K", TensorType::Q6_K},
    FileTypeEntry{19, "IQ2_XXS - 2.0625 bpw", TensorType::IQ2_XXS},
    FileTypeEntry{20, "IQ2_XS - 2.3125 bpw", TensorType::IQ2_XS},
    FileTypeEntry{21, "Q2_K - Small", std::nullopt},
    FileTypeEntry{22, "IQ3_XS - 3.3 bpw", std::nullopt},
    FileTypeEntry{23, "IQ3_XXS - 3.0625 bpw", TensorType::IQ3_XXS},
    FileTypeEntry{24, "IQ1_S - 1.5625 bpw", TensorType::IQ1_S},
    FileTypeEntry{25, "IQ4_NL - 4.5 bpw", TensorType::IQ4_NL},
    FileTypeEntry{26, "IQ3_S - 3.4375 bpw", TensorType::IQ3_S},
    FileTypeEntry{27, "IQ3_S mix - 3.66 bpw", std::nullopt},
    FileTypeEntry{28, "IQ2_S - 2.5 bpw", TensorType::IQ2_S},
    FileTypeEntry{29, "IQ2_M - 2.7 bpw", std::nullopt},
    FileTypeEntry{30, "IQ4_XS - 4.25 bpw", TensorType::IQ4_XS},
    FileTypeEntry{31, "IQ1_M - 1.75 bpw", TensorType::IQ1_M},
    FileTypeEntry{32, "BF16", TensorType::BF16},
    FileTypeEntry{36, "TQ1_0 - 1.69 bpw ternary", TensorType::TQ1_0},
    FileTypeEntry{37, "TQ2_0 - 2.06 bpw ternary", TensorType::TQ2_0},
};

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

std::optional<uint32_t> llama_file_type_of(uint32_t type_id) {
    for (const auto& e : kFileTypes)
        if (e.guessed_from && static_cast<uint32_t>(*e.guessed_from) == type_id) return e.file_type;
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
    for (const auto& e : kFileTypes)
        if (e.file_type == file_type) return std::string(e.name);
    return "unknown";
}

}  // namespace qframe
