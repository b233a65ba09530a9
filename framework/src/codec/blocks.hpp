// ggml's block layouts (ggml-common.h), shared by the codecs and the engine's fast decoders.
//
// Every field is a byte array, so the structs have alignment 1 and no padding; readers copy
// blocks out of the (possibly unaligned) input with memcpy (codec/block_io.hpp). Layouts only:
// the engine compiles this header once per instruction set, where an inline function would be
// an ODR hazard.
#pragma once

#include <cstdint>

#include "qframe/types.hpp"

namespace qframe::codec {

inline constexpr int QK = kQK;      // values per block of the legacy quants (Q4_0 … Q8_0)
inline constexpr int QK_K = kQK_K;  // values per super-block of the k-quants

using half = uint8_t[2];            // little-endian IEEE binary16

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

// ---- IQ4: 4-bit indices into ggml's non-linear grid (kvalues_iq4nl), a scale per 32 values ----

struct BlockIQ4_NL { half d; uint8_t qs[QK / 2]; };                // x = d * grid[q]
struct BlockIQ4_XS {
    half d;
    uint8_t scales_h[2];       // high 2 bits of the 8 6-bit group scales (little-endian uint16)
    uint8_t scales_l[QK_K / 64]; // low 4 bits, two groups per byte
    uint8_t qs[QK_K / 2];      // x = d * (scale - 32) * grid[q]
};

// ---- IQ1/IQ2/IQ3: indices into ggml's lattice grids (codec/iq_grids.hpp), signs, 4-bit scales ----

struct BlockIQ2_XXS { half d; uint8_t qs[QK_K / 4]; };  // per 32: 4 grid bytes, then 4×7 sign bits + a 4-bit scale
struct BlockIQ2_XS {
    half d;
    uint8_t qs[QK_K / 4];      // 32 uint16: 9-bit grid index, 7 sign bits
    uint8_t scales[QK_K / 32]; // two 4-bit scales per 32 values
};
struct BlockIQ2_S {
    half d;
    uint8_t qs[QK_K / 4];      // low 8 bits of 32 grid indices, then 32 sign bytes
    uint8_t qh[QK_K / 32];     // high 2 bits of the indices, 4 per byte
    uint8_t scales[QK_K / 32];
};
struct BlockIQ3_XXS { half d; uint8_t qs[3 * QK_K / 8]; };  // 64 grid bytes, then per 32: 4×7 sign bits + a scale
struct BlockIQ3_S {
    half d;
    uint8_t qs[QK_K / 4];      // low 8 bits of 64 grid indices
    uint8_t qh[QK_K / 32];     // their ninth bits
    uint8_t signs[QK_K / 8];
    uint8_t scales[QK_K / 64]; // two 4-bit scales per 64 values
};
struct BlockIQ1_S {
    half d;
    uint8_t qs[QK_K / 8];      // low 8 bits of 32 grid indices
    uint8_t qh[QK_K / 16];     // 8 uint16: 4×3 index bits, a 3-bit scale, the delta's sign
};
struct BlockIQ1_M {            // no F16 field: the scale's 16 bits are the top nibbles of `scales`
    uint8_t qs[QK_K / 8];
    uint8_t qh[QK_K / 16];     // 3 index bits and a delta sign per 8 values
    uint8_t scales[QK_K / 32]; // 3-bit scales per 16 values (and the scale's nibbles)
};

// ---- MXFP4: E2M1 nibbles and one E8M0 (power of two) scale per 32 values ----

struct BlockMXFP4 { uint8_t e; uint8_t qs[QK / 2]; };

// ---- ternary: values d × {-1, 0, 1} ----

struct BlockTQ1_0 { uint8_t qs[(QK_K - 4 * QK_K / 64) / 5]; uint8_t qh[QK_K / 64]; half d; };  // 5 (qh: 4) trits per byte
struct BlockTQ2_0 { uint8_t qs[QK_K / 4]; half d; };  // 2 bits per value, stored +1

// The structs must agree with the type table, which states each type's geometry once.
static_assert(sizeof(BlockQ4_0) == type_traits(TensorType::Q4_0).block_bytes);
static_assert(sizeof(BlockQ4_1) == type_traits(TensorType::Q4_1).block_bytes);
static_assert(sizeof(BlockQ5_0) == type_traits(TensorType::Q5_0).block_bytes);
static_assert(sizeof(BlockQ5_1) == type_traits(TensorType::Q5_1).block_bytes);
static_assert(sizeof(BlockQ8_0) == type_traits(TensorType::Q8_0).block_bytes);
static_assert(sizeof(BlockQ2_K) == type_traits(TensorType::Q2_K).block_bytes);
static_assert(sizeof(BlockQ3_K) == type_traits(TensorType::Q3_K).block_bytes);
static_assert(sizeof(BlockQ4_K) == type_traits(TensorType::Q4_K).block_bytes);
static_assert(sizeof(BlockQ5_K) == type_traits(TensorType::Q5_K).block_bytes);
static_assert(sizeof(BlockQ6_K) == type_traits(TensorType::Q6_K).block_bytes);
static_assert(sizeof(BlockIQ4_NL) == type_traits(TensorType::IQ4_NL).block_bytes);
static_assert(sizeof(BlockIQ4_XS) == type_traits(TensorType::IQ4_XS).block_bytes);
static_assert(sizeof(BlockIQ2_XXS) == type_traits(TensorType::IQ2_XXS).block_bytes);
static_assert(sizeof(BlockIQ2_XS) == type_traits(TensorType::IQ2_XS).block_bytes);
static_assert(sizeof(BlockIQ2_S) == type_traits(TensorType::IQ2_S).block_bytes);
static_assert(sizeof(BlockIQ3_XXS) == type_traits(TensorType::IQ3_XXS).block_bytes);
static_assert(sizeof(BlockIQ3_S) == type_traits(TensorType::IQ3_S).block_bytes);
static_assert(sizeof(BlockIQ1_S) == type_traits(TensorType::IQ1_S).block_bytes);
static_assert(sizeof(BlockIQ1_M) == type_traits(TensorType::IQ1_M).block_bytes);
static_assert(sizeof(BlockMXFP4) == type_traits(TensorType::MXFP4).block_bytes);
static_assert(sizeof(BlockTQ1_0) == type_traits(TensorType::TQ1_0).block_bytes);
static_assert(sizeof(BlockTQ2_0) == type_traits(TensorType::TQ2_0).block_bytes);

}  // namespace qframe::codec
