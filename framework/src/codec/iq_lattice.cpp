// IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M: each group of 8 (IQ3: 4) values is one
// entry of a ggml lattice grid (codec/iq_grids.hpp; entry byte j is value j), with signs from a
// sign table or sign bytes (IQ1: a shared ±1/8 shift instead), times a per-32 (or per-16) scale.
// The decoders are ggml's dequantize_row_iq*, each float operation in its order.

#include <cstdint>
#include <cstring>

#include "codec/block_io.hpp"
#include "codec/iq_grids.hpp"
#include "codec/kernels.hpp"

namespace qframe::codec {
namespace {

constexpr float kIq1Delta = 0.125f;  // ggml's IQ1S_DELTA (and IQ1M_DELTA)

inline uint8_t grid_byte(uint64_t entry, int j) { return uint8_t(entry >> (8 * j)); }
inline uint8_t grid_byte(uint32_t entry, int j) { return uint8_t(entry >> (8 * j)); }
inline float sign_of(uint8_t signs, int j) { return signs & kKmaskIq2xs[size_t(j)] ? -1.f : 1.f; }

inline uint16_t u16_at(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}
inline uint32_t u32_at(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// 8 values: a grid entry of unsigned magnitudes, signed by `signs`, scaled by db.
inline void signed_octet(uint64_t entry, uint8_t signs, float db, float* y) {
    for (int j = 0; j < 8; ++j) y[j] = db * float(grid_byte(entry, j)) * sign_of(signs, j);
}

// 8 values of IQ1: a grid entry of -1/0/+1 (int8 bytes) shifted by delta, scaled by dl.
inline void shifted_octet(uint64_t entry, float delta, float dl, float* y) {
    for (int j = 0; j < 8; ++j) y[j] = dl * (float(int8_t(grid_byte(entry, j))) + delta);
}

}  // namespace

void decode_iq2_xxs(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t i = 0; i < n_blocks; ++i) {
        const auto blk = load_block<BlockIQ2_XXS>(src, i);
        const float d = load_f16(blk.d);
        float* y = dst + i * QK_K;
        for (int ib32 = 0; ib32 < QK_K / 32; ++ib32) {
            const uint8_t* q = blk.qs + 8 * ib32;  // 4 grid indices, then 32 bits of signs and scale
            const uint32_t aux = u32_at(q + 4);
            const float db = d * (0.5f + float(aux >> 28)) * 0.25f;
            for (int l = 0; l < 4; ++l, y += 8) signed_octet(kIq2xxsGrid[q[l]], kKsignsIq2xs[(aux >> 7 * l) & 127], db, y);
        }
    }
}

void decode_iq2_xs(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t i = 0; i < n_blocks; ++i) {
        const auto blk = load_block<BlockIQ2_XS>(src, i);
        const float d = load_f16(blk.d);
        float* y = dst + i * QK_K;
        for (int ib32 = 0; ib32 < QK_K / 32; ++ib32) {
            const float db[2] = {d * (0.5f + float(blk.scales[ib32] & 0xf)) * 0.25f, d * (0.5f + float(blk.scales[ib32] >> 4)) * 0.25f};
            for (int l = 0; l < 4; ++l, y += 8) {
                const uint16_t q = u16_at(blk.qs + 2 * (4 * ib32 + l));
                signed_octet(kIq2xsGrid[q & 511], kKsignsIq2xs[q >> 9], db[l / 2], y);
            }
        }
    }
}

void decode_iq2_s(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t i = 0; i < n_blocks; ++i) {
        const auto blk = load_block<BlockIQ2_S>(src, i);
        const float d = load_f16(blk.d);
        float* y = dst + i * QK_K;
        const uint8_t* qs = blk.qs;
        const uint8_t* signs = blk.qs + QK_K / 8;
        for (int ib32 = 0; ib32 < QK_K / 32; ++ib32, qs += 4, signs += 4) {
            const float db[2] = {d * (0.5f + float(blk.scales[ib32] & 0xf)) * 0.25f, d * (0.5f + float(blk.scales[ib32] >> 4)) * 0.25f};
            for (int l = 0; l < 4; ++l, y += 8)
                signed_octet(kIq2sGrid[size_t(qs[l] | ((blk.qh[ib32] << (8 - 2 * l)) & 0x300))], signs[l], db[l / 2], y);
        }
    }
}

void decode_iq3_xxs(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t i = 0; i < n_blocks; ++i) {
        const auto blk = load_block<BlockIQ3_XXS>(src, i);
        const float d = load_f16(blk.d);
        float* y = dst + i * QK_K;
        const uint8_t* qs = blk.qs;
        const uint8_t* scales_and_signs = blk.qs + QK_K / 4;
        for (int ib32 = 0; ib32 < QK_K / 32; ++ib32, qs += 8) {
            const uint32_t aux = u32_at(scales_and_signs + 4 * ib32);
            const float db = d * (0.5f + float(aux >> 28)) * 0.5f;
            for (int l = 0; l < 4; ++l, y += 8) {
                const uint8_t signs = kKsignsIq2xs[(aux >> 7 * l) & 127];
                const uint32_t g1 = kIq3xxsGrid[qs[2 * l]], g2 = kIq3xxsGrid[qs[2 * l + 1]];
                for (int j = 0; j < 4; ++j) {
                    y[j] = db * float(grid_byte(g1, j)) * sign_of(signs, j);
                    y[j + 4] = db * float(grid_byte(g2, j)) * sign_of(signs, j + 4);
                }
            }
        }
    }
}

void decode_iq3_s(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t i = 0; i < n_blocks; ++i) {
        const auto blk = load_block<BlockIQ3_S>(src, i);
        const float d = load_f16(blk.d);
        float* y = dst + i * QK_K;
        const uint8_t* qs = blk.qs;
        const uint8_t* qh = blk.qh;
        const uint8_t* signs = blk.signs;
        for (int ib32 = 0; ib32 < QK_K / 32; ib32 += 2) {
            const float dbs[2] = {d * float(1 + 2 * (blk.scales[ib32 / 2] & 0xf)), d * float(1 + 2 * (blk.scales[ib32 / 2] >> 4))};
            for (int half_ = 0; half_ < 2; ++half_, qs += 8, signs += 4) {  // two groups of 32, one scale each
                for (int l = 0; l < 4; ++l, y += 8) {
                    const uint32_t g1 = kIq3sGrid[size_t(qs[2 * l] | ((qh[half_] << (8 - 2 * l)) & 256))];
                    const uint32_t g2 = kIq3sGrid[size_t(qs[2 * l + 1] | ((qh[half_] << (7 - 2 * l)) & 256))];
                    for (int j = 0; j < 4; ++j) {
                        y[j] = dbs[half_] * float(grid_byte(g1, j)) * sign_of(signs[l], j);
                        y[j + 4] = dbs[half_] * float(grid_byte(g2, j)) * sign_of(signs[l], j + 4);
                    }
                }
            }
            qh += 2;
        }
    }
}

void decode_iq1_s(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t i = 0; i < n_blocks; ++i) {
        const auto blk = load_block<BlockIQ1_S>(src, i);
        const float d = load_f16(blk.d);
        float* y = dst + i * QK_K;
        const uint8_t* qs = blk.qs;
        for (int ib = 0; ib < QK_K / 32; ++ib, qs += 4) {
            const uint16_t qh = u16_at(blk.qh + 2 * ib);
            const float dl = d * float(2 * ((qh >> 12) & 7) + 1);
            const float delta = qh & 0x8000 ? -kIq1Delta : kIq1Delta;
            for (int l = 0; l < 4; ++l, y += 8) shifted_octet(kIq1sGrid[size_t(qs[l] | (((qh >> 3 * l) & 7) << 8))], delta, dl, y);
        }
    }
}

void decode_iq1_m(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t i = 0; i < n_blocks; ++i) {
        const auto blk = load_block<BlockIQ1_M>(src, i);
        uint16_t sc[4];
        std::memcpy(sc, blk.scales, sizeof sc);
        const auto scale_bits = uint16_t((sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) | ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000));
        const float d = f16_to_f32(scale_bits);
        float* y = dst + i * QK_K;
        const uint8_t* qs = blk.qs;
        const uint8_t* qh = blk.qh;
        for (int ib = 0; ib < QK_K / 32; ++ib, qs += 4, qh += 2) {
            const float dl1 = d * float(2 * ((sc[ib / 2] >> (6 * (ib % 2) + 0)) & 0x7) + 1);
            const float dl2 = d * float(2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3)) & 0x7) + 1);
            const int idx[4] = {qs[0] | ((qh[0] << 8) & 0x700), qs[1] | ((qh[0] << 4) & 0x700), qs[2] | ((qh[1] << 8) & 0x700),
                                qs[3] | ((qh[1] << 4) & 0x700)};
            const float delta[4] = {qh[0] & 0x08 ? -kIq1Delta : kIq1Delta, qh[0] & 0x80 ? -kIq1Delta : kIq1Delta,
                                    qh[1] & 0x08 ? -kIq1Delta : kIq1Delta, qh[1] & 0x80 ? -kIq1Delta : kIq1Delta};
            for (int l = 0; l < 4; ++l, y += 8) shifted_octet(kIq1sGrid[size_t(idx[l])], delta[l], l < 2 ? dl1 : dl2, y);
        }
    }
}

}  // namespace qframe::codec
