// F32, F16 and BF16: scalar conversions and whole-row codecs.
//
// The F16 conversions reproduce ggml's portable reference (ggml_compute_fp16_to_fp32 /
// ggml_compute_fp32_to_fp16 in ggml-impl.h), which ggml-base uses on every CPU: round to
// nearest even, overflow to infinity, every NaN encoded as 0x7E00 with its sign.

#include <bit>
#include <cstring>

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
void decode_f16(const std::byte* src, float* dst, size_t n) { decode_u16(src, dst, n, f16_to_f32); }
void decode_bf16(const std::byte* src, float* dst, size_t n) { decode_u16(src, dst, n, bf16_to_f32); }

void encode_f32(const float* src, std::byte* dst, size_t n) { std::memcpy(dst, src, 4 * n); }
void encode_f16(const float* src, std::byte* dst, size_t n) { encode_u16(src, dst, n, f32_to_f16); }
void encode_bf16(const float* src, std::byte* dst, size_t n) {
    encode_u16(src, dst, n, f32_to_bf16_nearest_even);
}
void encode_bf16_trunc(const float* src, std::byte* dst, size_t n) {
    encode_u16(src, dst, n, f32_to_bf16_truncate);
}

}  // namespace codec
}  // namespace qframe
