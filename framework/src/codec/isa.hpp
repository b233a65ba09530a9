// Private to the codecs (and their tests): the row kernels that have instruction-set variants,
// and the choice between them, made once per process for the CPU at hand.
//
// Every variant is bit-exact with the generic one (the scalar reference, ggml's semantics):
// tests/codec/test_isa.cpp compares them on every F16/BF16 bit pattern, on Q8_0 blocks with
// ties, NaNs, infinities and huge values, and on Q2_K/Q4_K/Q5_K/Q6_K super-blocks.
#pragma once

#include <cstddef>

#include "codec/kernels.hpp"
#include "qframe/export.hpp"

namespace qframe::codec {

enum class Isa { generic, avx2, avx512 };

struct Variants {
    Isa isa;
    const char* name;  // "generic", "avx2" (AVX2 + F16C), "avx512" (AVX-512F)
    DecodeFn decode_f16;
    DecodeFn decode_bf16;
    EncodeFn encode_f16;
    EncodeFn encode_bf16;  // round to nearest even
    EncodeFn encode_q8_0;
    EncodeFn encode_q2_k;
    EncodeFn encode_q4_k;
    EncodeFn encode_q5_k;
    EncodeFn encode_q6_k;
};

// The kernels of `isa`, or nullptr where this build or this CPU cannot run them. Exported for
// the tests, which call every variant directly.
QFRAME_API const Variants* variants(Isa isa);

// What decode()/encode() use: the best set this CPU runs, or the one QFRAME_CODEC_ISA names
// (generic|avx2|avx512; qframe::Error if this CPU cannot run it). Chosen on first use.
const Variants& chosen_variants();

// The variants themselves (float.cpp, q8.cpp, k_quants_encode.cpp). The x86-64 ones are compiled
// with target attributes, so calling one on a CPU without its instructions is undefined: go
// through variants() to call them.
void decode_f16_generic(const std::byte*, float*, size_t);
void decode_bf16_generic(const std::byte*, float*, size_t);
void encode_f16_generic(const float*, std::byte*, size_t);
void encode_bf16_generic(const float*, std::byte*, size_t);
void encode_q8_0_generic(const float*, std::byte*, size_t);
void encode_q2_k_generic(const float*, std::byte*, size_t);
void encode_q4_k_generic(const float*, std::byte*, size_t);
void encode_q5_k_generic(const float*, std::byte*, size_t);
void encode_q6_k_generic(const float*, std::byte*, size_t);
#if defined(__x86_64__)
void decode_f16_avx2(const std::byte*, float*, size_t);
void decode_bf16_avx2(const std::byte*, float*, size_t);
void encode_f16_avx2(const float*, std::byte*, size_t);
void encode_bf16_avx2(const float*, std::byte*, size_t);
void encode_q8_0_avx2(const float*, std::byte*, size_t);
void encode_q2_k_avx2(const float*, std::byte*, size_t);
void encode_q4_k_avx2(const float*, std::byte*, size_t);
void encode_q5_k_avx2(const float*, std::byte*, size_t);
void encode_q6_k_avx2(const float*, std::byte*, size_t);
void decode_f16_avx512(const std::byte*, float*, size_t);
void decode_bf16_avx512(const std::byte*, float*, size_t);
void encode_f16_avx512(const float*, std::byte*, size_t);
void encode_bf16_avx512(const float*, std::byte*, size_t);
void encode_q8_0_avx512(const float*, std::byte*, size_t);
void encode_q2_k_avx512(const float*, std::byte*, size_t);
void encode_q4_k_avx512(const float*, std::byte*, size_t);
void encode_q5_k_avx512(const float*, std::byte*, size_t);
void encode_q6_k_avx512(const float*, std::byte*, size_t);
#endif

}  // namespace qframe::codec
