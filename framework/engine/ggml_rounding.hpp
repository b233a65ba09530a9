// Private to the engine: the roundings ggml's CPU backend applies to activations
// (`numerics: ggml`). Before a matrix product ggml converts the activations to the weight type's
// "vec_dot_type" (ggml-cpu.c's type_traits_cpu): Q8_K for the K-quants, Q8_0 for Q4_0/Q5_0/Q8_0,
// Q8_1 for Q4_1/Q5_1, F16 for F16, BF16 for BF16, nothing for F32. llama.cpp keeps the KV cache
// in F16, so K, V, the queries multiplied with K and the attention weights multiplied with V are
// rounded to F16 too.
//
// The engine emulates this by replacing activations with the values ggml's quantized copy stands
// for (quantized the way ggml's x86 code does it, then decoded), and multiplying those in F32:
// the same products up to the order of float additions.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "qframe/types.hpp"

// A row loop compiled once per x86 instruction set (AVX-512, AVX2 with FMA, baseline) and chosen
// when the library loads; elsewhere compiled once.
#if defined(__x86_64__)
#define QF_ROW_CLONES __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#else
#define QF_ROW_CLONES
#endif

namespace qframe::engine {

enum class ActivationType { F32, F16, BF16, Q8_0, Q8_1, Q8_K };

// The type ggml converts activations to before multiplying them with a weight of `weight` type.
ActivationType activation_type(TensorType weight);

// The elements one quantized activation block covers (1 for the float types).
size_t activation_block(ActivationType type);

// Replaces x[0, n) with what ggml's copy of it in `type` decodes to; n is a multiple of
// activation_block(type).
void round_activations(ActivationType type, float* x, size_t n);

// ggml's quantizers of one activation block: the codes into q, the scale returned (Q8_0: 32
// values, the F16 scale as a float; Q8_K: 256 values). round_activations(Q8_0 / Q8_K) is d · q.
float quantize_q8_0_block(const float* x, int8_t* q);
// Q8_1's block sum as ggml's x86 quantize_row_q8_1 stores it: F16(d · Σq), with d = amax / 127
// before its own F16 rounding (Q4_1 and Q5_1 products add it times the block's min).
float q8_1_block_sum(const float* x, const int8_t* q);
float quantize_q8_K_block(const float* x, int8_t* q);

// x rounded to F16 and back (round to nearest even, overflow to infinity), as ggml's F32 → F16
// conversion; in integer arithmetic, because without F16C (the engine's portable code) the
// compiler's conversions are library calls, and this runs per attention weight.
inline float round_to_f16(float x) {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    const uint32_t sign = u & 0x80000000u, a = u & 0x7fffffffu;
    if (a >= 0x477ff000u) {  // ≥ 65520 rounds to infinity; NaNs stay NaN (made quiet)
        u = a > 0x7f800000u ? u | 0x00400000u : sign | 0x7f800000u;
    } else if (a < 0x38800000u) {  // below 2⁻¹⁴: F16's subnormals, a grid of 2⁻²⁴
        float v;
        std::memcpy(&v, &a, 4);
        v = ((v * 0x1p24f + 12582912.f) - 12582912.f) * 0x1p-24f;  // round half to even (|v·2²⁴| < 2²²)
        std::memcpy(&u, &v, 4);
        u |= sign;
    } else {  // keep 11 significant bits, ties to even
        u = (u + 0x0fffu + ((u >> 13) & 1)) & 0xffffe000u;
    }
    std::memcpy(&x, &u, 4);
    return x;
}

// The F16 bits of x, which must be an F16 value (round_to_f16's result): exact, so no rounding
// to do, and integer arithmetic for the same reason as above (the K/V cache stores these).
inline uint16_t f16_bits_of_exact(float x) {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
    const uint32_t a = u & 0x7fffffffu;
    if (a >= 0x7f800000u) return sign | 0x7c00u | (a > 0x7f800000u ? 0x0200u : 0u);        // infinity, NaN
    if (a >= 0x38800000u) return sign | static_cast<uint16_t>((a - 0x38000000u) >> 13);  // normal: exponent 127 → 15
    return sign | static_cast<uint16_t>(std::fabs(x) * 0x1p24f);                          // subnormal (or zero): m · 2⁻²⁴
}

// round_to_f16 over x[0, n), vectorised.
void round_row_to_f16(float* x, size_t n);

}  // namespace qframe::engine
