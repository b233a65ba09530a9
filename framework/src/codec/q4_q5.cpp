// Q4_0, Q4_1, Q5_0, Q5_1: 32 values per block, 4-bit quants (plus a fifth bit for Q5_*).
//
// Byte j of qs holds value j in its low nibble and value j + 16 in its high nibble. For Q5_*,
// bit j of the 32-bit qh is the fifth bit of value j. The products keep ggml's order of
// operations (q * d, then + m) so results are bit-identical.
//
// The encoders follow quantize_row_q{4,5}_{0,1}_ref, which is also what llama-quantize runs
// for these types when no importance matrix is given (quantize_q4_0(..., NULL) and friends).

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "codec/block_io.hpp"
#include "codec/float_to_int.hpp"
#include "codec/kernels.hpp"

namespace qframe::codec {
namespace {

// The 5-bit quants of a Q5 block, unsigned (0..31).
template <class Block>
void unpack5(const Block& blk, int q[QK]) {
    uint32_t qh;
    std::memcpy(&qh, blk.qh, 4);
    for (int j = 0; j < QK / 2; ++j) {
        q[j] = (blk.qs[j] & 0x0f) | int((qh >> j) & 1) << 4;
        q[j + QK / 2] = (blk.qs[j] >> 4) | int((qh >> (j + QK / 2)) & 1) << 4;
    }
}

// The value of largest magnitude, with its sign; the first one wins a tie, and NaNs never win
// (ggml's `if (amax < fabsf(v))`).
inline float signed_absmax(const float* x) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < QK; ++j) {
        const float a = std::fabs(x[j]);
        if (amax < a) {
            amax = a;
            max = x[j];
        }
    }
    return max;
}

struct MinMax { float min, max; };
inline MinMax min_max(const float* x) {
    float min = FLT_MAX, max = -FLT_MAX;  // ggml's starting values, kept for all-NaN blocks
    for (int j = 0; j < QK; ++j) {
        if (x[j] < min) min = x[j];
        if (x[j] > max) max = x[j];
    }
    return {min, max};
}

// Bit j of the result is the fifth bit of q[j].
inline uint32_t high_bits(const int q[QK]) {
    uint32_t qh = 0;
    for (int j = 0; j < QK; ++j) qh |= uint32_t((q[j] & 0x10) >> 4) << j;
    return qh;
}

}  // namespace

void decode_q4_0(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, dst += QK) {
        const auto blk = load_block<BlockQ4_0>(src, b);
        const float d = load_f16(blk.d);
        for (int j = 0; j < QK / 2; ++j) {
            dst[j] = float((blk.qs[j] & 0x0f) - 8) * d;
            dst[j + QK / 2] = float((blk.qs[j] >> 4) - 8) * d;
        }
    }
}

void decode_q4_1(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, dst += QK) {
        const auto blk = load_block<BlockQ4_1>(src, b);
        const float d = load_f16(blk.d), m = load_f16(blk.m);
        for (int j = 0; j < QK / 2; ++j) {
            dst[j] = float(blk.qs[j] & 0x0f) * d + m;
            dst[j + QK / 2] = float(blk.qs[j] >> 4) * d + m;
        }
    }
}

void decode_q5_0(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, dst += QK) {
        const auto blk = load_block<BlockQ5_0>(src, b);
        const float d = load_f16(blk.d);
        int q[QK];
        unpack5(blk, q);
        for (int j = 0; j < QK; ++j) dst[j] = float(q[j] - 16) * d;
    }
}

void decode_q5_1(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, dst += QK) {
        const auto blk = load_block<BlockQ5_1>(src, b);
        const float d = load_f16(blk.d), m = load_f16(blk.m);
        int q[QK];
        unpack5(blk, q);
        for (int j = 0; j < QK; ++j) dst[j] = float(q[j]) * d + m;
    }
}

// Symmetric: the value of largest magnitude maps to -8 exactly (d = max / -8), so the range
// [-8, 7] is used fully on one side. `+ 8.5f` then truncation is round-half-up of x/d + 8; the
// MIN only catches the opposite extreme (+8 → 16).
void encode_q4_0(const float* src, std::byte* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, src += QK) {
        const float d = signed_absmax(src) / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;  // ggml multiplies by 1/d, not divides
        BlockQ4_0 blk;
        store_f16(blk.d, d);
        for (int j = 0; j < QK / 2; ++j) {
            const int lo = std::min<int>(15, low_byte_i8(src[j] * id + 8.5f));
            const int hi = std::min<int>(15, low_byte_i8(src[j + QK / 2] * id + 8.5f));
            blk.qs[j] = uint8_t(lo | hi << 4);  // an (impossible) negative lo would spill, as in ggml
        }
        store_block(dst, b, blk);
    }
}

// Asymmetric: min maps to 0 and max to 15; m is stored as-is, d = (max - min) / 15.
void encode_q4_1(const float* src, std::byte* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, src += QK) {
        const auto [min, max] = min_max(src);
        const float d = (max - min) / 15.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        BlockQ4_1 blk;
        store_f16(blk.d, d);
        store_f16(blk.m, min);
        for (int j = 0; j < QK / 2; ++j) {
            const int lo = std::min<int>(15, low_byte_i8((src[j] - min) * id + 0.5f));
            const int hi = std::min<int>(15, low_byte_i8((src[j + QK / 2] - min) * id + 0.5f));
            blk.qs[j] = uint8_t(lo | hi << 4);
        }
        store_block(dst, b, blk);
    }
}

// Q4_0 with 5 bits: d = max / -16, range [-16, 15].
void encode_q5_0(const float* src, std::byte* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, src += QK) {
        const float d = signed_absmax(src) / -16.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        BlockQ5_0 blk;
        store_f16(blk.d, d);
        int q[QK];
        for (int j = 0; j < QK; ++j) q[j] = uint8_t(std::min<int>(31, low_byte_i8(src[j] * id + 16.5f)));
        for (int j = 0; j < QK / 2; ++j) blk.qs[j] = uint8_t((q[j] & 0x0f) | (q[j + QK / 2] & 0x0f) << 4);
        const uint32_t qh = high_bits(q);
        std::memcpy(blk.qh, &qh, 4);
        store_block(dst, b, blk);
    }
}

// Q4_1 with 5 bits: d = (max - min) / 31; ggml clamps nothing here (the uint8_t cast).
void encode_q5_1(const float* src, std::byte* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, src += QK) {
        const auto [min, max] = min_max(src);
        const float d = (max - min) / 31.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        BlockQ5_1 blk;
        store_f16(blk.d, d);
        store_f16(blk.m, min);
        int q[QK];
        for (int j = 0; j < QK; ++j) q[j] = low_byte_u8((src[j] - min) * id + 0.5f);
        for (int j = 0; j < QK / 2; ++j) blk.qs[j] = uint8_t((q[j] & 0x0f) | (q[j + QK / 2] & 0x0f) << 4);
        const uint32_t qh = high_bits(q);
        std::memcpy(blk.qh, &qh, 4);
        store_block(dst, b, blk);
    }
}

}  // namespace qframe::codec
