// Q2_K … Q6_K: super-blocks of 256 values with an F16 super-scale (and super-min) and
// small per-sub-block scales that are themselves quantized.
//
// Where ggml's dequantize_row_* walk the quants with moving pointers and shifts, these loops
// compute each value's position directly; the arithmetic (which products, in which order)
// matches ggml exactly, so results are bit-identical.

#include "codec/block_io.hpp"
#include "codec/k_scales.hpp"
#include "codec/kernels.hpp"

namespace qframe::codec {

// 16 groups of 16 values. Group g = 8*half + 2*shift + part reads bits [2*shift, 2*shift+2) of
// qs[32*half + 16*part + l]; its scale byte holds the scale (low nibble) and min (high nibble).
void decode_q2_k(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, dst += QK_K) {
        const auto blk = load_block<BlockQ2_K>(src, b);
        const float d = load_f16(blk.d), dmin = load_f16(blk.dmin);
        for (int g = 0; g < 16; ++g) {
            const float dl = d * float(blk.scales[g] & 0x0f);
            const float ml = dmin * float(blk.scales[g] >> 4);
            const uint8_t* q = blk.qs + 32 * (g / 8) + 16 * (g % 2);
            const int shift = 2 * ((g % 8) / 2);
            for (int l = 0; l < 16; ++l) dst[16 * g + l] = dl * float((q[l] >> shift) & 3) - ml;
        }
    }
}

// Same 2-bit layout as Q2_K plus a third bit in hmask (bit 4*half + shift of hmask[16*part + l]);
// a clear high bit means the quant is offset by -4.
void decode_q3_k(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, dst += QK_K) {
        const auto blk = load_block<BlockQ3_K>(src, b);
        const float d = load_f16(blk.d);
        for (int g = 0; g < 16; ++g) {
            const float dl = d * float(scale_q3_k(blk.scales, g));
            const int half = g / 8, part = g % 2, shift = (g % 8) / 2;
            const uint8_t* q = blk.qs + 32 * half + 16 * part;
            const uint8_t* hm = blk.hmask + 16 * part;
            const uint8_t mask = uint8_t(1u << (4 * half + shift));
            for (int l = 0; l < 16; ++l) {
                const int v = ((q[l] >> (2 * shift)) & 3) - ((hm[l] & mask) ? 0 : 4);
                dst[16 * g + l] = dl * float(v);
            }
        }
    }
}

namespace {

// Q4_K and Q5_K: 8 sub-blocks of 32; sub-blocks 2c and 2c+1 share qs[32c .. 32c+32) (low / high
// nibbles). Q5_K adds a fifth bit: bit s of qh[l] for value l of sub-block s.
template <class Block>
void decode_scale_min_k(const std::byte* src, float* dst, size_t n_blocks) {
    constexpr bool kFifthBit = requires(const Block& blk) { blk.qh; };
    for (size_t b = 0; b < n_blocks; ++b, dst += QK_K) {
        const auto blk = load_block<Block>(src, b);
        const float d = load_f16(blk.d), dmin = load_f16(blk.dmin);
        for (int s = 0; s < 8; ++s) {
            const auto [sc, mn] = scale_min_k4(blk.scales, s);
            const float dl = d * float(sc), ml = dmin * float(mn);
            const uint8_t* q = blk.qs + 32 * (s / 2);
            const int shift = 4 * (s % 2);
            for (int l = 0; l < 32; ++l) {
                int v = (q[l] >> shift) & 0x0f;
                if constexpr (kFifthBit) v |= ((blk.qh[l] >> s) & 1) << 4;
                dst[32 * s + l] = dl * float(v) - ml;
            }
        }
    }
}

}  // namespace

void decode_q4_k(const std::byte* src, float* dst, size_t n_blocks) {
    decode_scale_min_k<BlockQ4_K>(src, dst, n_blocks);
}
void decode_q5_k(const std::byte* src, float* dst, size_t n_blocks) {
    decode_scale_min_k<BlockQ5_K>(src, dst, n_blocks);
}

// Like Q2_K, group g = 8*half + 2*k + part of 16 values has its own (int8) scale; quarter k
// takes a nibble (low for k < 2) of ql[64*half + 32*(k%2) + 16*part + l] and bits [2k, 2k+2)
// of qh[32*half + 16*part + l], and the 6-bit quant is stored +32.
void decode_q6_k(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, dst += QK_K) {
        const auto blk = load_block<BlockQ6_K>(src, b);
        const float d = load_f16(blk.d);
        for (int g = 0; g < 16; ++g) {
            const int half = g / 8, k = (g % 8) / 2, part = g % 2;
            const float dl = d * float(blk.scales[g]);  // (d * scale) * q, as ggml
            const uint8_t* ql = blk.ql + 64 * half + 32 * (k % 2) + 16 * part;
            const uint8_t* qh = blk.qh + 32 * half + 16 * part;
            const int lshift = 4 * (k / 2);
            for (int l = 0; l < 16; ++l) {
                const int v = (((ql[l] >> lshift) & 0x0f) | ((qh[l] >> (2 * k)) & 3) << 4) - 32;
                dst[16 * g + l] = dl * float(v);
            }
        }
    }
}

}  // namespace qframe::codec
