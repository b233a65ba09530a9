// Private to the codecs: the row kernels dispatch.cpp chooses between.
// Each works on whole blocks; `n_blocks` blocks in, `n_blocks * block_size` values out (or back).
#pragma once

#include <cstddef>

namespace qframe::codec {

using DecodeFn = void (*)(const std::byte* src, float* dst, size_t n_blocks);
using EncodeFn = void (*)(const float* src, std::byte* dst, size_t n_blocks);

// float.cpp
void decode_f32(const std::byte*, float*, size_t);
void decode_f16(const std::byte*, float*, size_t);
void decode_bf16(const std::byte*, float*, size_t);
void encode_f32(const float*, std::byte*, size_t);
void encode_f16(const float*, std::byte*, size_t);
void encode_bf16(const float*, std::byte*, size_t);
void encode_bf16_trunc(const float*, std::byte*, size_t);

// q8.cpp
void decode_q8_0(const std::byte*, float*, size_t);
void encode_q8_0(const float*, std::byte*, size_t);

// q4_q5.cpp
void decode_q4_0(const std::byte*, float*, size_t);
void decode_q4_1(const std::byte*, float*, size_t);
void decode_q5_0(const std::byte*, float*, size_t);
void decode_q5_1(const std::byte*, float*, size_t);
void encode_q4_0(const float*, std::byte*, size_t);
void encode_q4_1(const float*, std::byte*, size_t);
void encode_q5_0(const float*, std::byte*, size_t);
void encode_q5_1(const float*, std::byte*, size_t);

// k_quants.cpp
void decode_q2_k(const std::byte*, float*, size_t);
void decode_q3_k(const std::byte*, float*, size_t);
void decode_q4_k(const std::byte*, float*, size_t);
void decode_q5_k(const std::byte*, float*, size_t);
void decode_q6_k(const std::byte*, float*, size_t);

// k_quants_encode.cpp
void encode_q2_k(const float*, std::byte*, size_t);
void encode_q3_k(const float*, std::byte*, size_t);
void encode_q4_k(const float*, std::byte*, size_t);
void encode_q5_k(const float*, std::byte*, size_t);
void encode_q6_k(const float*, std::byte*, size_t);

}  // namespace qframe::codec
