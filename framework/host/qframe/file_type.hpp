// llama.cpp's general.file_type (enum llama_ftype in llama.h): the value that says what a file
// holds, chosen the way llama.cpp's model loader guesses it when a file has none.
#pragma once

#include "qframe/export.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace qframe {

inline constexpr std::string_view kFileTypeKey = "general.file_type";
inline constexpr std::string_view kQuantizationVersionKey = "general.quantization_version";
inline constexpr uint32_t kQuantizationVersion = 2;  // ggml.h's GGML_QNT_VERSION

struct NamedTensorType {
    std::string_view name;
    uint32_t type_id;
};

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
