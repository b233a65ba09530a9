// Conversions between ggml's tensor encodings and F32, bit-exact with ggml's reference code.
#pragma once

#include "qframe/export.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

#include "qframe/types.hpp"

namespace qframe {

// ---- scalar half-precision conversions (ggml's reference semantics) ----
QFRAME_API float f16_to_f32(uint16_t h);
QFRAME_API uint16_t f32_to_f16(float f);                // round to nearest even, like ggml_compute_fp32_to_fp16
QFRAME_API float bf16_to_f32(uint16_t b);
QFRAME_API uint16_t f32_to_bf16_nearest_even(float f);  // ggml_compute_fp32_to_bf16 (NaN kept quiet)
QFRAME_API uint16_t f32_to_bf16_truncate(float f);      // keep the high 16 bits

// ---- whole rows: `values.size()` must be a multiple of the type's block size and
// `bytes.size()` exactly byte_size(type, values.size()); std::invalid_argument otherwise ----

// True for the types decode() handles.
QFRAME_API bool can_decode(TensorType type);
// Decodes `bytes` holding `values.size()` values of `type` into F32.
// Throws std::invalid_argument for a type that cannot be decoded or a size mismatch.
QFRAME_API void decode(TensorType type, std::span<const std::byte> bytes, std::span<float> values);

// True for the types encode() or encode_weighted() handles.
QFRAME_API bool can_encode(TensorType type);
// True for the types ggml encodes only with an importance matrix (IQ2_XXS, IQ2_XS, IQ1_S: its
// encoders assert one): encode() refuses them, encode_weighted() takes them.
QFRAME_API bool requires_importance(TensorType type);
// Encodes F32 `values` into `bytes` of `type` the way ggml's reference quantizer does (no
// importance matrix). BF16 uses round-to-nearest-even; see encode_bf16_truncate for the other.
QFRAME_API void encode(TensorType type, std::span<const float> values, std::span<std::byte> bytes);
// With an importance matrix: `importance` holds one weight per column of rows `row_length` long
// (llama-imatrix's mean squares), and the types ggml weighs (Q4_0, Q4_1, Q5_0, Q5_1, Q2_K … Q6_K,
// the IQ types) are encoded as its quantize_* functions do with quant_weights, a row at a time;
// the others (F32, F16, BF16, Q8_0, TQ1_0, TQ2_0) as encode() above, as ggml ignores the weights. values.size()
// must be a multiple of row_length, row_length of the block size, and importance.size() equal
// row_length; std::invalid_argument otherwise.
QFRAME_API void encode_weighted(TensorType type, std::span<const float> values, std::span<std::byte> bytes, size_t row_length,
                                std::span<const float> importance);
// The IQ1/IQ2/IQ3 encoders throw std::domain_error where ggml's would abort: a row with an
// infinity or NaN, or (with importance) a group whose importance is all zero.
// True for the types encode_weighted() weighs.
QFRAME_API bool weighs_importance(TensorType type);
QFRAME_API void encode_bf16_truncate(std::span<const float> values, std::span<std::byte> bytes);

}  // namespace qframe
