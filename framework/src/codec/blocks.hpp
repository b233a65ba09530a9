// Private to the codecs: ggml's block layouts (ggml-common.h) and small shared helpers.
//
// Every field is a byte array, so the structs have alignment 1 and no padding; blocks are
// copied out of the (possibly unaligned) input with memcpy and fp16 fields read with load_f16.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "qframe/codec.hpp"

namespace qframe::codec {

inline constexpr int QK = 32;    // values per block of the legacy quants (Q4_0 … Q8_0)
inline constexpr int QK_K = 256; // values per super-block of the k-quants

using half = uint8_t[2];         // little-endian IEEE binary16

inline float load_f16(const half& h) {
    uint16_t v;
    std::memcpy(&v, h, 2);
    return f16_to_f32(v);
}
inline void store_f16(half& h, float f) {
    const uint16_t v = f32_to_f16(f);
    std::memcpy(h, &v, 2);
}

// C's float -> integer conversion as ggml's x86-64 build performs it (cvttss2si / cvttps2dq):
// truncate toward zero through a 32-bit integer; NaN and out-of-range values give INT32_MIN.
// ggml then keeps the low byte (an int8_t / uint8_t cast), and so do the callers. Only
// non-finite or absurdly scaled input ever gets near the edges.
inline int32_t trunc_i32_like_x86(float r) {
    return (r >= -2147483648.0f && r < 2147483648.0f) ? int32_t(r) : INT32_MIN;
}

// Copies block `i` out of a byte stream; the compiler turns this into plain loads.
template <class Block>
inline Block load_block(const std::byte* src, size_t i) {
    Block b;
    std::memcpy(&b, src + i * sizeof(Block), sizeof(Block));
    return b;
}

// ---- legacy quants: one scale (and min) per 32 values ----

struct BlockQ4_0 { half d; uint8_t qs[QK / 2]; };                  // x = d * (q - 8)
struct BlockQ4_1 { half d, m; uint8_t qs[QK / 2]; };               // x = d * q + m
struct BlockQ5_0 { half d; uint8_t qh[4]; uint8_t qs[QK / 2]; };   // x = d * (q - 16)
struct BlockQ5_1 { half d, m; uint8_t qh[4]; uint8_t qs[QK / 2]; };// x = d * q + m
struct BlockQ8_0 { half d; int8_t qs[QK]; };                       // x = d * q

// ---- k-quants: a super-block of 256 values split into sub-blocks with quantized scales ----

struct BlockQ2_K {
    uint8_t scales[QK_K / 16]; // per 16 values: low nibble scale, high nibble min
    uint8_t qs[QK_K / 4];      // 2-bit quants
    half d, dmin;
};
struct BlockQ3_K {
    uint8_t hmask[QK_K / 8];   // high (third) bit of each quant
    uint8_t qs[QK_K / 4];      // low 2 bits
    uint8_t scales[12];        // 16 6-bit scales, packed
    half d;
};
struct BlockQ4_K {
    half d, dmin;
    uint8_t scales[12];        // 8 6-bit scales + 8 6-bit mins, packed
    uint8_t qs[QK_K / 2];      // 4-bit quants
};
struct BlockQ5_K {
    half d, dmin;
    uint8_t scales[12];
    uint8_t qh[QK_K / 8];      // fifth bit of each quant
    uint8_t qs[QK_K / 2];
};
struct BlockQ6_K {
    uint8_t ql[QK_K / 2];      // low 4 bits
    uint8_t qh[QK_K / 4];      // high 2 bits
    int8_t scales[QK_K / 16];  // 8-bit scales per 16 values
    half d;
};

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22 && sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144 && sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210);

}  // namespace qframe::codec
