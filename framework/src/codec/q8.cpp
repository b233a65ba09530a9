// Q8_0: 32 int8 quants and one F16 scale per block (ggml's block_q8_0).

#include <cmath>
#include <cstddef>
#include <cstring>

#include "codec/intrinsics.hpp"
#include "codec/block_io.hpp"
#include "codec/float_to_int.hpp"
#include "codec/isa.hpp"
#include "codec/kernels.hpp"

namespace qframe::codec {

void decode_q8_0(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, dst += QK) {
        const auto blk = load_block<BlockQ8_0>(src, b);
        const float d = load_f16(blk.d);
        for (int j = 0; j < QK; ++j) dst[j] = float(blk.qs[j]) * d;
    }
}

namespace {

// Written like ggml's MAX(a, b) macro, including what a NaN does to it: a NaN makes the running
// maximum NaN, and the next value replaces it.
inline float amax_like_ggml(const float* x) {
    float amax = 0.0f;
    for (int j = 0; j < QK; ++j) {
        const float v = std::fabs(x[j]);
        amax = amax > v ? amax : v;
    }
    return amax;
}

}  // namespace

void encode_q8_0(const float* src, std::byte* dst, size_t n_blocks) {
    chosen_variants().encode_q8_0(src, dst, n_blocks);
}

// quantize_row_q8_0_ref: scale so that the largest magnitude maps to ±127, round half away
// from zero. The scale is rounded to F16 for storage but the unrounded one is used to
// quantize, exactly like ggml.
void encode_q8_0_generic(const float* src, std::byte* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, src += QK) {
        const float amax = amax_like_ggml(src);
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;

        BlockQ8_0 blk;
        store_f16(blk.d, d);
        // Only non-finite inputs, or a NaN that resets the running maximum, give a quant
        // outside [-127, 127] (low_byte_i8 then keeps ggml's x86-64 wraparound).
        for (int j = 0; j < QK; ++j) blk.qs[j] = low_byte_i8(std::round(src[j] * id));
        store_block(dst, b, blk);
    }
}

#if defined(__x86_64__)
// ---- x86-64 variants (target attributes; isa.cpp calls them only where the CPU runs them) ----
//
// Byte for byte the generic encoder (tests/codec/test_isa.cpp):
// - amax: a block without NaN takes the vector maximum. Its values are |x|, never -0, so
//   vmaxps's order and its choice between equal operands cannot change the result, and the
//   sequential max from 0 over such values is their maximum. A block with a NaN takes the
//   scalar loop, whose result depends on where the NaNs are.
// - x * id is the same single multiply (-ffp-contract=off, set for the codec sources in
//   CMakeLists.txt, keeps it and the subtraction below from being fused: AVX-512F has FMA).
// - roundf(p), half away from zero: t = trunc(p); p - t is exact (|p| < 2^23: the fraction's
//   bits; beyond, p is an integer and p - t = 0); |p - t| >= 0.5 adds copysign(1, p) to t,
//   exact too. Infinities (inf - inf = NaN) and NaNs fail the ordered compare and stay as
//   they are.
// - low_byte_i8: vcvttps2dq gives INT32_MIN for NaN and for values outside the int32 range,
//   as trunc_i32_like_x86 does, and the low byte of each int32 is kept (vpmovdb, or masking
//   to 0..255 before the packs).

__attribute__((target("avx2"))) void encode_q8_0_avx2(const float* src, std::byte* dst, size_t n_blocks) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 half = _mm256_set1_ps(0.5f);
    const __m256i low_byte = _mm256_set1_epi32(0xff);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (size_t b = 0; b < n_blocks; ++b, src += QK, dst += sizeof(BlockQ8_0)) {
        __m256 x[4];
        for (int k = 0; k < 4; ++k) x[k] = _mm256_loadu_ps(src + 8 * k);

        const __m256 unordered = _mm256_or_ps(_mm256_or_ps(_mm256_cmp_ps(x[0], x[0], _CMP_UNORD_Q),
                                                           _mm256_cmp_ps(x[1], x[1], _CMP_UNORD_Q)),
                                              _mm256_or_ps(_mm256_cmp_ps(x[2], x[2], _CMP_UNORD_Q),
                                                           _mm256_cmp_ps(x[3], x[3], _CMP_UNORD_Q)));
        float amax;
        if (_mm256_movemask_ps(unordered)) {
            amax = amax_like_ggml(src);
        } else {
            const __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, x[0]), _mm256_andnot_ps(sign, x[1])),
                                           _mm256_max_ps(_mm256_andnot_ps(sign, x[2]), _mm256_andnot_ps(sign, x[3])));
            __m128 r = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
            r = _mm_max_ps(r, _mm_movehl_ps(r, r));
            r = _mm_max_ss(r, _mm_movehdup_ps(r));
            amax = _mm_cvtss_f32(r);
        }
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const uint16_t d16 = f32_to_f16(d);
        std::memcpy(dst + offsetof(BlockQ8_0, d), &d16, 2);

        const __m256 vid = _mm256_set1_ps(id);
        __m256i q[4];
        for (int k = 0; k < 4; ++k) {
            const __m256 p = _mm256_mul_ps(x[k], vid);
            const __m256 t = _mm256_round_ps(p, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
            const __m256 frac = _mm256_andnot_ps(sign, _mm256_sub_ps(p, t));
            const __m256 away = _mm256_or_ps(_mm256_and_ps(p, sign), one);
            const __m256 up = _mm256_cmp_ps(frac, half, _CMP_GE_OQ);
            const __m256 r = _mm256_add_ps(t, _mm256_and_ps(up, away));
            q[k] = _mm256_and_si256(_mm256_cvttps_epi32(r), low_byte);
        }
        // Values in 0..255, so the saturating packs are exact; they interleave 32-bit groups
        // across the 128-bit lanes, which the permutation puts back in order.
        const __m256i packed = _mm256_packus_epi16(_mm256_packus_epi32(q[0], q[1]), _mm256_packus_epi32(q[2], q[3]));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + offsetof(BlockQ8_0, qs)),
                            _mm256_permutevar8x32_epi32(packed, order));
    }
}

__attribute__((target("avx512f"))) void encode_q8_0_avx512(const float* src, std::byte* dst, size_t n_blocks) {
    const __m512i sign = _mm512_set1_epi32(INT32_MIN);
    const __m512i one = _mm512_castps_si512(_mm512_set1_ps(1.0f));
    const __m512 half = _mm512_set1_ps(0.5f);
    for (size_t b = 0; b < n_blocks; ++b, src += QK, dst += sizeof(BlockQ8_0)) {
        const __m512 x0 = _mm512_loadu_ps(src);
        const __m512 x1 = _mm512_loadu_ps(src + 16);

        float amax;
        if (_mm512_cmp_ps_mask(x0, x0, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(x1, x1, _CMP_UNORD_Q))
            amax = amax_like_ggml(src);
        else
            amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const uint16_t d16 = f32_to_f16(d);
        std::memcpy(dst + offsetof(BlockQ8_0, d), &d16, 2);

        const __m512 vid = _mm512_set1_ps(id);
        for (int k = 0; k < 2; ++k) {
            const __m512 p = _mm512_mul_ps(k ? x1 : x0, vid);
            const __m512 t = _mm512_roundscale_ps(p, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
            const __m512 frac = _mm512_abs_ps(_mm512_sub_ps(p, t));
            const __mmask16 up = _mm512_cmp_ps_mask(frac, half, _CMP_GE_OQ);
            const __m512 away = _mm512_castsi512_ps(_mm512_or_si512(_mm512_and_si512(_mm512_castps_si512(p), sign), one));
            const __m512 r = _mm512_mask_add_ps(t, up, t, away);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + offsetof(BlockQ8_0, qs) + 16 * k),
                             _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(r)));  // vpmovdb keeps the low byte
        }
    }
}
#endif  // __x86_64__

}  // namespace qframe::codec
