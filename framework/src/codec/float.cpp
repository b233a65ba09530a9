// F32, F16 and BF16: scalar conversions and whole-row codecs.
//
// The F16 conversions reproduce ggml's portable reference (ggml_compute_fp16_to_fp32 /
// ggml_compute_fp32_to_fp16 in ggml-impl.h), which ggml-base uses on every CPU: round to
// nearest even, overflow to infinity, every NaN encoded as 0x7E00 with its sign.

#include <bit>
#include <cstring>

#include "codec/intrinsics.hpp"
#include "codec/isa.hpp"
#include "codec/kernels.hpp"
#include "qframe/codec.hpp"

namespace qframe {

float f16_to_f32(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000) << 16;
    const uint32_t exp = (h >> 10) & 0x1f;
    const uint32_t man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        // Zero or subnormal: man * 2^-24 is exact in F32.
        bits = std::bit_cast<uint32_t>(float(man) * 0x1p-24f);
    } else if (exp == 31) {
        // Inf or NaN. ggml's reference gets here through a float multiply, which quiets a
        // signalling NaN (sets the top mantissa bit) but keeps its payload; do the same.
        bits = 0x7f800000 | (man << 13) | (man ? 0x400000u : 0u);
    } else {
        bits = ((exp + (127 - 15)) << 23) | (man << 13);  // rebias the exponent
    }
    return std::bit_cast<float>(sign | bits);
}

uint16_t f32_to_f16(float f) {
    const uint32_t u = std::bit_cast<uint32_t>(f);
    const uint16_t sign = uint16_t((u >> 16) & 0x8000);
    const uint32_t a = u & 0x7fffffff;  // magnitude bits
    uint16_t r;
    if (a > 0x7f800000) {
        r = 0x7e00;                      // NaN: ggml drops the payload
    } else if (a >= 0x477ff000) {
        r = 0x7c00;                      // >= 65520 rounds past 65504: infinity
    } else if (a >= 0x38800000) {
        // Normal F16: rebias the exponent, then round the 23-bit mantissa to 10 bits to
        // nearest even. A carry out of the mantissa correctly bumps the exponent.
        const uint32_t v = a - ((127u - 15u) << 23);
        r = uint16_t((v + 0xfff + ((v >> 13) & 1)) >> 13);
    } else {
        // Subnormal F16 or zero: adding 0.5f lines the value up so that the F32 mantissa's
        // last bit is worth 2^-24, the F16 subnormal step; the FPU's round-to-nearest-even
        // then does the rounding and the low bits are the F16 result.
        const float aligned = std::bit_cast<float>(a) + 0.5f;
        r = uint16_t(std::bit_cast<uint32_t>(aligned) - std::bit_cast<uint32_t>(0.5f));
    }
    return sign | r;
}

float bf16_to_f32(uint16_t b) { return std::bit_cast<float>(uint32_t(b) << 16); }

uint16_t f32_to_bf16_nearest_even(float f) {
    const uint32_t u = std::bit_cast<uint32_t>(f);
    if ((u & 0x7fffffff) > 0x7f800000) return uint16_t((u >> 16) | 0x40);  // NaN: force quiet
    // Round to nearest even; finite values past the largest BF16 carry into infinity.
    return uint16_t((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

uint16_t f32_to_bf16_truncate(float f) { return uint16_t(std::bit_cast<uint32_t>(f) >> 16); }

namespace codec {
namespace {

// Element-wise loops with memcpy loads/stores, so unaligned buffers are fine.
template <class Fn>
void decode_u16(const std::byte* src, float* dst, size_t n, Fn convert) {
    for (size_t i = 0; i < n; ++i) {
        uint16_t v;
        std::memcpy(&v, src + 2 * i, 2);
        dst[i] = convert(v);
    }
}

template <class Fn>
void encode_u16(const float* src, std::byte* dst, size_t n, Fn convert) {
    for (size_t i = 0; i < n; ++i) {
        const uint16_t v = convert(src[i]);
        std::memcpy(dst + 2 * i, &v, 2);
    }
}

}  // namespace

// Block size is 1 for these types, so n_blocks is the number of values.
void decode_f32(const std::byte* src, float* dst, size_t n) { std::memcpy(dst, src, 4 * n); }
void encode_f32(const float* src, std::byte* dst, size_t n) { std::memcpy(dst, src, 4 * n); }
void encode_bf16_trunc(const float* src, std::byte* dst, size_t n) {
    encode_u16(src, dst, n, f32_to_bf16_truncate);
}

// F16 and BF16 go to the variant chosen for this CPU (isa.cpp).
void decode_f16(const std::byte* src, float* dst, size_t n) { chosen_variants().decode_f16(src, dst, n); }
void decode_bf16(const std::byte* src, float* dst, size_t n) { chosen_variants().decode_bf16(src, dst, n); }
void encode_f16(const float* src, std::byte* dst, size_t n) { chosen_variants().encode_f16(src, dst, n); }
void encode_bf16(const float* src, std::byte* dst, size_t n) { chosen_variants().encode_bf16(src, dst, n); }

// ---- generic: the scalar conversions value by value (the reference the others must match) ----

void decode_f16_generic(const std::byte* src, float* dst, size_t n) { decode_u16(src, dst, n, f16_to_f32); }
void decode_bf16_generic(const std::byte* src, float* dst, size_t n) { decode_u16(src, dst, n, bf16_to_f32); }
void encode_f16_generic(const float* src, std::byte* dst, size_t n) { encode_u16(src, dst, n, f32_to_f16); }
void encode_bf16_generic(const float* src, std::byte* dst, size_t n) {
    encode_u16(src, dst, n, f32_to_bf16_nearest_even);
}

#if defined(__x86_64__)
// ---- x86-64 variants, compiled for their instruction set with target attributes and called
// only where the CPU runs it (isa.cpp). Whole vectors, then the scalar code for the rest.
//
// F16 -> F32: vcvtph2ps is exact for every F16 value, and, like f16_to_f32, quiets a signalling
// NaN keeping its payload (tests/codec/test_isa.cpp checks all 65536 patterns); it ignores
// MXCSR.DAZ for F16 subnormals.
// F32 -> F16: vcvtps2ph with round-to-nearest-even as its immediate (not MXCSR's mode) rounds
// as f32_to_f16 does, overflowing to infinity, but keeps the top of a NaN's payload where ggml
// writes 0x7e00 with the sign: NaN inputs are first replaced by that canonical NaN.
// F32 -> BF16: integer arithmetic, as f32_to_bf16_nearest_even (vcvtneps2bf16 would flush
// subnormals).

namespace {

__attribute__((target("avx2,f16c"))) inline __m256 canonical_nan_avx2(__m256 x) {
    const __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
    const __m256 quiet = _mm256_or_ps(_mm256_and_ps(x, _mm256_set1_ps(-0.0f)),
                                      _mm256_castsi256_ps(_mm256_set1_epi32(0x7fc00000)));
    return _mm256_blendv_ps(x, quiet, nan);
}

__attribute__((target("avx2"))) inline __m256i bf16_nearest_even_avx2(__m256i u) {
    const __m256i a = _mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff));
    const __m256i nan = _mm256_cmpgt_epi32(a, _mm256_set1_epi32(0x7f800000));
    const __m256i high = _mm256_srli_epi32(u, 16);
    const __m256i lsb = _mm256_and_si256(high, _mm256_set1_epi32(1));
    const __m256i rounded =
        _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7fff)), lsb), 16);
    const __m256i quiet = _mm256_or_si256(high, _mm256_set1_epi32(0x40));
    return _mm256_blendv_epi8(rounded, quiet, nan);
}

__attribute__((target("avx512f"))) inline __m512i bf16_nearest_even_avx512(__m512i u) {
    const __m512i a = _mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff));
    const __mmask16 nan = _mm512_cmpgt_epi32_mask(a, _mm512_set1_epi32(0x7f800000));
    const __m512i high = _mm512_srli_epi32(u, 16);
    const __m512i lsb = _mm512_and_si512(high, _mm512_set1_epi32(1));
    const __m512i rounded =
        _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)), lsb), 16);
    return _mm512_mask_or_epi32(rounded, nan, high, _mm512_set1_epi32(0x40));
}

}  // namespace

__attribute__((target("avx2,f16c"))) void decode_f16_avx2(const std::byte* src, float* dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * i))));
    decode_u16(src + 2 * i, dst + i, n - i, f16_to_f32);
}

__attribute__((target("avx2"))) void decode_bf16_avx2(const std::byte* src, float* dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * i)));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_slli_epi32(w, 16));
    }
    decode_u16(src + 2 * i, dst + i, n - i, bf16_to_f32);
}

__attribute__((target("avx2,f16c"))) void encode_f16_avx2(const float* src, std::byte* dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm256_cvtps_ph(canonical_nan_avx2(_mm256_loadu_ps(src + i)), _MM_FROUND_TO_NEAREST_INT);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 2 * i), h);
    }
    encode_u16(src + i, dst + 2 * i, n - i, f32_to_f16);
}

__attribute__((target("avx2"))) void encode_bf16_avx2(const float* src, std::byte* dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256i r0 = bf16_nearest_even_avx2(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i)));
        const __m256i r1 = bf16_nearest_even_avx2(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 8)));
        // Both hold values below 2^16, so the saturating pack is exact; it interleaves 128-bit lanes.
        const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r0, r1), 0xd8);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 2 * i), packed);
    }
    encode_u16(src + i, dst + 2 * i, n - i, f32_to_bf16_nearest_even);
}

__attribute__((target("avx512f"))) void decode_f16_avx512(const std::byte* src, float* dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 2 * i))));
    decode_u16(src + 2 * i, dst + i, n - i, f16_to_f32);
}

__attribute__((target("avx512f"))) void decode_bf16_avx512(const std::byte* src, float* dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 2 * i)));
        _mm512_storeu_si512(dst + i, _mm512_slli_epi32(w, 16));
    }
    decode_u16(src + 2 * i, dst + i, n - i, bf16_to_f32);
}

__attribute__((target("avx512f"))) void encode_f16_avx512(const float* src, std::byte* dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 x = _mm512_loadu_ps(src + i);
        const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
        const __m512i quiet = _mm512_or_si512(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN)),
                                              _mm512_set1_epi32(0x7fc00000));
        const __m512 canonical = _mm512_mask_blend_ps(nan, x, _mm512_castsi512_ps(quiet));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 2 * i),
                            _mm512_cvtps_ph(canonical, _MM_FROUND_TO_NEAREST_INT));
    }
    encode_u16(src + i, dst + 2 * i, n - i, f32_to_f16);
}

__attribute__((target("avx512f"))) void encode_bf16_avx512(const float* src, std::byte* dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512i r = bf16_nearest_even_avx512(_mm512_loadu_si512(src + i));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 2 * i), _mm512_cvtepi32_epi16(r));  // vpmovdw
    }
    encode_u16(src + i, dst + 2 * i, n - i, f32_to_bf16_nearest_even);
}
#endif  // __x86_64__

}  // namespace codec
}  // namespace qframe
