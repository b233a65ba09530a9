#include "qframe/types.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

namespace qframe {
namespace {

// Block geometry from ggml-common.h (sizeof(block_*)); QK_K = 256.
constexpr std::array kTypes{
    TypeInfo{TensorType::F32, "F32", 1, 4},
    TypeInfo{TensorType::F16, "F16", 1, 2},
    TypeInfo{TensorType::Q4_0, "Q4_0", 32, 18},
    TypeInfo{TensorType::Q4_1, "Q4_1", 32, 20},
    TypeInfo{TensorType::Q5_0, "Q5_0", 32, 22},
    TypeInfo{TensorType::Q5_1, "Q5_1", 32, 24},
    TypeInfo{TensorType::Q8_0, "Q8_0", 32, 34},
    TypeInfo{TensorType::Q8_1, "Q8_1", 32, 36},
    TypeInfo{TensorType::Q2_K, "Q2_K", 256, 84},
    TypeInfo{TensorType::Q3_K, "Q3_K", 256, 110},
    TypeInfo{TensorType::Q4_K, "Q4_K", 256, 144},
    TypeInfo{TensorType::Q5_K, "Q5_K", 256, 176},
    TypeInfo{TensorType::Q6_K, "Q6_K", 256, 210},
    TypeInfo{TensorType::Q8_K, "Q8_K", 256, 292},
    TypeInfo{TensorType::IQ2_XXS, "IQ2_XXS", 256, 66},
    TypeInfo{TensorType::IQ2_XS, "IQ2_XS", 256, 74},
    TypeInfo{TensorType::IQ3_XXS, "IQ3_XXS", 256, 98},
    TypeInfo{TensorType::IQ1_S, "IQ1_S", 256, 50},
    TypeInfo{TensorType::IQ4_NL, "IQ4_NL", 32, 18},
    TypeInfo{TensorType::IQ3_S, "IQ3_S", 256, 110},
    TypeInfo{TensorType::IQ2_S, "IQ2_S", 256, 82},
    TypeInfo{TensorType::IQ4_XS, "IQ4_XS", 256, 136},
    TypeInfo{TensorType::I8, "I8", 1, 1},
    TypeInfo{TensorType::I16, "I16", 1, 2},
    TypeInfo{TensorType::I32, "I32", 1, 4},
    TypeInfo{TensorType::I64, "I64", 1, 8},
    TypeInfo{TensorType::F64, "F64", 1, 8},
    TypeInfo{TensorType::IQ1_M, "IQ1_M", 256, 56},
    TypeInfo{TensorType::BF16, "BF16", 1, 2},
    TypeInfo{TensorType::TQ1_0, "TQ1_0", 256, 54},
    TypeInfo{TensorType::TQ2_0, "TQ2_0", 256, 66},
    TypeInfo{TensorType::MXFP4, "MXFP4", 32, 17},
};

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) ==
                      std::toupper(static_cast<unsigned char>(y));
           });
}

}  // namespace

const TypeInfo* find_type(uint32_t id) {
    for (const auto& t : kTypes)
        if (static_cast<uint32_t>(t.type) == id) return &t;
    return nullptr;
}

const TypeInfo* find_type(std::string_view name) {
    for (const auto& t : kTypes)
        if (iequals(t.name, name)) return &t;
    return nullptr;
}

const TypeInfo& type_info(TensorType type) {
    const TypeInfo* info = find_type(static_cast<uint32_t>(type));
    if (!info) throw std::invalid_argument("not a ggml tensor type id");
    return *info;
}

std::string_view type_name(TensorType type) { return type_info(type).name; }

std::span<const TypeInfo> all_types() { return kTypes; }

std::optional<uint64_t> byte_size(const TypeInfo& type, uint64_t n_values) {
    if (n_values % type.block_size != 0) return std::nullopt;
    const uint64_t blocks = n_values / type.block_size;
    if (blocks > UINT64_MAX / type.block_bytes) return std::nullopt;
    return blocks * type.block_bytes;
}

std::string type_name_or_id(const TypeInfo* type, uint32_t id) {
    return type ? std::string(type->name) : "type " + std::to_string(id);
}

}  // namespace qframe
