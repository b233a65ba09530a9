// llama.cpp's general.file_type (enum llama_ftype in llama.h): the value that says what a file
// holds, chosen the way llama.cpp's model loader guesses it when a file has none.
#pragma once

#include "qframe/export.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "qframe/types.hpp"

namespace qframe {

inline constexpr std::string_view kFileTypeKey = "general.file_type";
inline constexpr std::string_view kQuantizationVersionKey = "general.quantization_version";
inline constexpr uint32_t kQuantizationVersion = 2;  // ggml.h's GGML_QNT_VERSION

struct NamedTensorType {
    std::string_view name;
    uint32_t type_id;
};

// One row per llama_ftype (llama.h, c392e50): what llama-quantize calls the mix, what llama.cpp
// prints, the type most tensors get, the tensor type the model loader maps back to it, and
// whether llama-quantize refuses the mix without an importance matrix.
struct LlamaFileType {
    uint32_t id;
    std::string_view mix;     // llama-quantize's TYPE argument: "Q4_K_M" ("F32" for ALL_F32)
    std::string_view name;    // llama_model_ftype_name: "Q4_K - Medium"
    TensorType base;          // default_type in llama_model_quantize_impl
    std::optional<TensorType> guessed_from{};  // the loader's guess from the most frequent type
    bool needs_importance = false;  // "Please do not use … without an importance matrix"
};

// Every row, in llama_ftype order.
QFRAME_API std::span<const LlamaFileType> llama_file_types();
// The row of a mix name (llama-quantize's spelling, exact) or of an id; nullptr if none.
QFRAME_API const LlamaFileType* find_llama_mix(std::string_view mix);
QFRAME_API const LlamaFileType* find_llama_file_type(uint32_t id);

// llama_model_loader's guess: the most frequent tensor type, counted in llama.cpp's tensor order
// (tensors outside blk.N first, then by layer, then by name; the first type to reach the top
// count wins), as the file type llama.cpp maps it to (Q4_K: Q4_K_M); ALL_F32 for a type it has
// no file type for.
QFRAME_API uint32_t guess_llama_file_type(std::span<const NamedTensorType> tensors);

// The file type of a model whose matrices are `type_id` (the guess's mapping); none for a type
// llama.cpp has no file type for.
QFRAME_API std::optional<uint32_t> llama_file_type_of(uint32_t type_id);

// llama.cpp's printed name ("Q4_K - Medium", "all F32"); "unknown" for values it does not know.
QFRAME_API std::string llama_file_type_name(uint32_t file_type);

}  // namespace qframe
