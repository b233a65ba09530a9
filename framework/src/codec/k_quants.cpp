// Q2_K … Q6_K: super-blocks of 256 values with an F16 super-scale (and super-min) and
// small per-sub-block scales that are themselves quantized.
//
// Where ggml's dequantize_row_* walk the quants with moving pointers and shifts, these loops
// compute each value's position directly; the arithmetic (which products, in which order)
// matches ggml exactly, so results are bit-identical.

#include "codec/block_io.hpp"
#include "codec/kernels.hpp"

namespace qframe::codec {
namespace {

// Q4_K/Q5_K pack 8 6-bit scales and 8 6-bit mins into 12 bytes: sub-blocks 0-3 use the low
// 6 bits of bytes 0-3 (scales) and 4-7 (mins); sub-blocks 4-7 take their low 4 bits from
// bytes 8-11 and their top 2 bits from the spare top bits of bytes 0-7.
struct ScaleMin { int scale, min; };
ScaleMin scale_min_k4(const uint8_t s[12], int j) {
    if (j < 4) return {s[j] & 63, s[j + 4] & 63};
    return {(s[j + 4] & 0x0f) | (s[j - 4] >> 6) << 4, (s[j + 4] >> 4) | (s[j] >> 6) << 4};
}

// Q3_K packs 16 6-bit scales (stored +32) into 12 bytes: low nibbles in bytes 0-7 (sub-block
// k and k + 8 share byte k % 8), top 2 bits in bytes 8-11 (2 bits per sub-block).
int scale_q3_k(const uint8_t s[12], int k) {
    const int low = k < 8 ? s[k] & 0x0f : s[k - 8] >> 4;
    const int high = (s[8 + k % 4] >> (2 * (k / 4))) & 3;
    return (low | high << 4) - 32;
}

}  // namespace

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

// 8 sub-blocks of 32; sub-blocks 2c and 2c+1 share qs[32c .. 32c+32) (low / high nibbles).
void decode_q4_k(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, dst += QK_K) {
        const auto blk = load_block<BlockQ4_K>(src, b);
        const float d = load_f16(blk.d), dmin = load_f16(blk.dmin);
        for (int s = 0; s < 8; ++s) {
            const auto [sc, mn] = scale_min_k4(blk.scales, s);
            const float dl = d * float(sc), ml = dmin * float(mn);
            const uint8_t* q = blk.qs + 32 * (s / 2);
            const int shift = 4 * (s % 2);
            for (int l = 0; l < 32; ++l) dst[32 * s + l] = dl * float((q[l] >> shift) & 0x0f) - ml;
        }
    }
}

// Q4_K plus a fifth bit: bit s of qh[l] for value l of sub-block s.
void decode_q5_k(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, dst += QK_K) {
        const auto blk = load_block<BlockQ5_K>(src, b);
        const float d = load_f16(blk.d), dmin = load_f16(blk.dmin);
        for (int s = 0; s < 8; ++s) {
            const auto [sc, mn] = scale_min_k4(blk.scales, s);
            const float dl = d * float(sc), ml = dmin * float(mn);
            const uint8_t* q = blk.qs + 32 * (s / 2);
            const int shift = 4 * (s % 2);
            for (int l = 0; l < 32; ++l) {
                const int v = ((q[l] >> shift) & 0x0f) | ((blk.qh[l] >> s) & 1) << 4;
                dst[32 * s + l] = dl * float(v) - ml;
            }
        }
    }
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
