// Q4_0, Q4_1, Q5_0, Q5_1: 32 values per block, 4-bit quants (plus a fifth bit for Q5_*).
//
// Byte j of qs holds value j in its low nibble and value j + 16 in its high nibble. For Q5_*,
// bit j of the 32-bit qh is the fifth bit of value j. The products keep ggml's order of
// operations (q * d, then + m) so results are bit-identical.

#include <cstring>

#include "codec/blocks.hpp"
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

}  // namespace qframe::codec
