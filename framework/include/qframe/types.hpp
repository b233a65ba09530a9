// The ggml tensor type table: every type id a GGUF file may carry, with its block geometry.
#pragma once

#include "qframe/export.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace qframe {

// Values are ggml's `enum ggml_type` ids as stored in GGUF tensor infos.
enum class TensorType : uint32_t {
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3,
    Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
    IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
    TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};

struct TypeInfo {
    TensorType type;
    std::string_view name;   // upper case, as llama.cpp prints it ("Q4_K", "BF16")
    uint32_t block_size;     // values per block
    uint32_t block_bytes;    // bytes per block
};

// ggml's block lengths (ggml-common.h): QK4_0 … QK8_1 (also IQ4_NL, MXFP4), and QK_K for the
// k- and i-quants' super-blocks.
inline constexpr uint32_t kQK = 32;
inline constexpr uint32_t kQK_K = 256;

// The type table, as ggml's type_traits (ggml.c) with the sizeof(block_*) of ggml-common.h: the
// one place that states a type's block geometry. The codecs' block structs are checked against it.
inline constexpr std::array kTypeTable{
    TypeInfo{TensorType::F32, "F32", 1, 4},
    TypeInfo{TensorType::F16, "F16", 1, 2},
    TypeInfo{TensorType::Q4_0, "Q4_0", kQK, 18},
    TypeInfo{TensorType::Q4_1, "Q4_1", kQK, 20},
    TypeInfo{TensorType::Q5_0, "Q5_0", kQK, 22},
    TypeInfo{TensorType::Q5_1, "Q5_1", kQK, 24},
    TypeInfo{TensorType::Q8_0, "Q8_0", kQK, 34},
    TypeInfo{TensorType::Q8_1, "Q8_1", kQK, 36},
    TypeInfo{TensorType::Q2_K, "Q2_K", kQK_K, 84},
    TypeInfo{TensorType::Q3_K, "Q3_K", kQK_K, 110},
    TypeInfo{TensorType::Q4_K, "Q4_K", kQK_K, 144},
    TypeInfo{TensorType::Q5_K, "Q5_K", kQK_K, 176},
    TypeInfo{TensorType::Q6_K, "Q6_K", kQK_K, 210},
    TypeInfo{TensorType::Q8_K, "Q8_K", kQK_K, 292},
    TypeInfo{TensorType::IQ2_XXS, "IQ2_XXS", kQK_K, 66},
    TypeInfo{TensorType::IQ2_XS, "IQ2_XS", kQK_K, 74},
    TypeInfo{TensorType::IQ3_XXS, "IQ3_XXS", kQK_K, 98},
    TypeInfo{TensorType::IQ1_S, "IQ1_S", kQK_K, 50},
    TypeInfo{TensorType::IQ4_NL, "IQ4_NL", kQK, 18},
    TypeInfo{TensorType::IQ3_S, "IQ3_S", kQK_K, 110},
    TypeInfo{TensorType::IQ2_S, "IQ2_S", kQK_K, 82},
    TypeInfo{TensorType::IQ4_XS, "IQ4_XS", kQK_K, 136},
    TypeInfo{TensorType::I8, "I8", 1, 1},
    TypeInfo{TensorType::I16, "I16", 1, 2},
    TypeInfo{TensorType::I32, "I32", 1, 4},
    TypeInfo{TensorType::I64, "I64", 1, 8},
    TypeInfo{TensorType::F64, "F64", 1, 8},
    TypeInfo{TensorType::IQ1_M, "IQ1_M", kQK_K, 56},
    TypeInfo{TensorType::BF16, "BF16", 1, 2},
    TypeInfo{TensorType::TQ1_0, "TQ1_0", kQK_K, 54},
    TypeInfo{TensorType::TQ2_0, "TQ2_0", kQK_K, 66},
    TypeInfo{TensorType::MXFP4, "MXFP4", kQK, 17},
};

// type_info usable at compile time (static_asserts, array bounds); in a constant expression an
// id missing from the table does not compile.
constexpr const TypeInfo& type_traits(TensorType type) {
    for (const TypeInfo& t : kTypeTable)
        if (t.type == type) return t;
    throw std::invalid_argument("not a ggml tensor type id");
}

// nullptr when the id is not a type ggml defines (or one it removed).
QFRAME_API const TypeInfo* find_type(uint32_t id);
// Case-insensitive lookup by name ("q8_0", "Q8_0"); nullptr when unknown.
QFRAME_API const TypeInfo* find_type(std::string_view name);
// The type must exist (it is a TensorType value).
QFRAME_API const TypeInfo& type_info(TensorType type);
QFRAME_API std::string_view type_name(TensorType type);
// "Q4_K", or "type 42" for an id this build does not know (type == nullptr).
QFRAME_API std::string type_name_or_id(const TypeInfo* type, uint32_t id);
QFRAME_API std::span<const TypeInfo> all_types();

// Bytes taken by `n_values` values of `type`; nullopt when n_values is not a whole number of
// blocks or the size overflows 64 bits.
QFRAME_API std::optional<uint64_t> byte_size(const TypeInfo& type, uint64_t n_values);

}  // namespace qframe
