// TQ1_0 and TQ2_0: values d × {-1, 0, +1}. TQ2_0 stores each as 2 bits (+1); TQ1_0 packs 5
// trits per byte as a base-3 fraction (byte × 3^n, then × 3 >> 8 reads trit n), 4 in the qh
// bytes. ggml's quantize_row_tq*_ref and dequantize_row_tq*: d is the super-block's largest
// magnitude, each value rounds (half away from zero) to the nearest of -d, 0, d. ggml ignores
// importance for both, and so does encode_weighted.

#include <cmath>
#include <cstdint>

#include "codec/block_io.hpp"
#include "codec/kernels.hpp"

namespace qframe::codec {
namespace {

constexpr uint8_t kPow3[6] = {1, 3, 9, 27, 81, 243};

// Trit n of a packed byte, as -1, 0 or 1.
inline int trit(uint8_t packed, int n) {
    const auto q = uint8_t(packed * kPow3[n]);
    return ((uint16_t(q) * 3) >> 8) - 1;
}

// ggml's MAX(amax, fabsf(v)) over the super-block (a NaN never wins, and resets nothing).
float largest_magnitude(const float* x) {
    float amax = 0.0f;
    for (int j = 0; j < QK_K; ++j) {
        const float a = std::fabs(x[j]);
        amax = amax > a ? amax : a;
    }
    return amax;
}

// -1, 0, 1 -> 0, 1, 2, through C's long as ggml's `int xi = lroundf(v) + 1`.
inline int trit_of(float v) { return static_cast<int>(std::lround(v) + 1); }

// Trits t_0 … t_{n-1} (t_0 most significant) as the byte ceil(Σ t_i 3^(4-i) · 256 / 243).
inline uint8_t pack_trits(const int* t, int n) {
    uint8_t q = 0;
    for (int i = 0; i < n; ++i) q = uint8_t(q * 3 + t[i]);
    for (int i = n; i < 5; ++i) q = uint8_t(q * 3);  // qh: the first value to the top trit
    return uint8_t((uint16_t(q) * 256 + (243 - 1)) / 243);
}

}  // namespace

void encode_tq1_0(const float* src, std::byte* dst, size_t n_blocks) {
    constexpr size_t n_qs = sizeof(BlockTQ1_0::qs);
    constexpr size_t n_qh = sizeof(BlockTQ1_0::qh);
    for (size_t i = 0; i < n_blocks; ++i) {
        const float* x = src + i * QK_K;
        BlockTQ1_0 blk{};
        const float d = largest_magnitude(x);
        const float id = d != 0 ? 1.0f / d : 0.0f;
        store_f16(blk.d, d);
        int t[5];
        for (size_t j = 0; j < n_qs - n_qs % 32; j += 32, x += 5 * 32) {
            for (size_t m = 0; m < 32; ++m) {
                for (size_t n = 0; n < 5; ++n) t[n] = trit_of(x[m + n * 32] * id);
                blk.qs[j + m] = pack_trits(t, 5);
            }
        }
        for (size_t j = n_qs - n_qs % 32; j < n_qs; j += 16, x += 5 * 16) {
            for (size_t m = 0; m < 16; ++m) {
                for (size_t n = 0; n < 5; ++n) t[n] = trit_of(x[m + n * 16] * id);
                blk.qs[j + m] = pack_trits(t, 5);
            }
        }
        for (size_t j = 0; j < n_qh; ++j) {
            for (size_t m = 0; m < 4; ++m) t[m] = trit_of(x[j + m * n_qh] * id);
            blk.qh[j] = pack_trits(t, 4);
        }
        store_block(dst, i, blk);
    }
}

void encode_tq2_0(const float* src, std::byte* dst, size_t n_blocks) {
    for (size_t i = 0; i < n_blocks; ++i) {
        const float* x = src + i * QK_K;
        BlockTQ2_0 blk{};
        const float d = largest_magnitude(x);
        const float id = d != 0 ? 1.0f / d : 0.0f;
        store_f16(blk.d, d);
        for (size_t j = 0; j < sizeof(blk.qs); j += 32, x += 4 * 32)
            for (size_t m = 0; m < 32; ++m) {
                uint8_t q = 0;
                for (size_t n = 0; n < 4; ++n) q = uint8_t(q + ((trit_of(x[m + n * 32] * id) & 3) << (2 * n)));
                blk.qs[j + m] = q;
            }
        store_block(dst, i, blk);
    }
}

void decode_tq1_0(const std::byte* src, float* dst, size_t n_blocks) {
    constexpr size_t n_qs = sizeof(BlockTQ1_0::qs);
    constexpr size_t n_qh = sizeof(BlockTQ1_0::qh);
    for (size_t i = 0; i < n_blocks; ++i) {
        const auto blk = load_block<BlockTQ1_0>(src, i);
        const float d = load_f16(blk.d);
        float* y = dst + i * QK_K;
        // Runs of 32 bytes, then of 16: value m of trit row n of a run is trit n of byte m.
        for (size_t j = 0; j < n_qs - n_qs % 32; j += 32)
            for (int n = 0; n < 5; ++n)
                for (size_t m = 0; m < 32; ++m) *y++ = float(trit(blk.qs[j + m], n)) * d;
        for (size_t j = n_qs - n_qs % 32; j < n_qs; j += 16)
            for (int n = 0; n < 5; ++n)
                for (size_t m = 0; m < 16; ++m) *y++ = float(trit(blk.qs[j + m], n)) * d;
        for (int n = 0; n < 4; ++n)
            for (size_t j = 0; j < n_qh; ++j) *y++ = float(trit(blk.qh[j], n)) * d;
    }
}

void decode_tq2_0(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t i = 0; i < n_blocks; ++i) {
        const auto blk = load_block<BlockTQ2_0>(src, i);
        const float d = load_f16(blk.d);
        float* y = dst + i * QK_K;
        for (size_t j = 0; j < sizeof(blk.qs); j += 32)
            for (int l = 0; l < 4; ++l)
                for (size_t m = 0; m < 32; ++m) *y++ = float(((blk.qs[j + m] >> (l * 2)) & 3) - 1) * d;
    }
}

}  // namespace qframe::codec
