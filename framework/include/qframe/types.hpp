// The ggml tensor type table: every type id a GGUF file may carry, with its block geometry.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
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

// nullptr when the id is not a type ggml defines (or one it removed).
const TypeInfo* find_type(uint32_t id);
// Case-insensitive lookup by name ("q8_0", "Q8_0"); nullptr when unknown.
const TypeInfo* find_type(std::string_view name);
// The type must exist (it is a TensorType value).
const TypeInfo& type_info(TensorType type);
std::string_view type_name(TensorType type);
// "Q4_K", or "type 42" for an id this build does not know (type == nullptr).
std::string type_name_or_id(const TypeInfo* type, uint32_t id);
std::span<const TypeInfo> all_types();

// Bytes taken by `n_values` values of `type`; nullopt when n_values is not a whole number of
// blocks or the size overflows 64 bits.
std::optional<uint64_t> byte_size(const TypeInfo& type, uint64_t n_values);

}  // namespace qframe
