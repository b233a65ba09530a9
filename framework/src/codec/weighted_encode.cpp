// Encoders with an importance matrix: ggml's quantize_row_*_impl, which quantize_q4_0(...,
// quant_weights) and friends run for one row at a time when quant_weights is not NULL.
//
// Each value's weight is its column's importance, mostly scaled by sqrt(sigma2 + x²) where sigma2
// is a mean square of the row (legacy types) or super-block (k-quants). The searches then fit a
// scale (and min) per block by weighted least squares, and the k-quants fit the sub-block scales
// themselves against the sub-blocks' total weights.
//
// Every float operation happens in ggml's order, and this file is built with -ffp-contract=off
// (ggml-base is built without FMA), so the bytes are identical. Scalar on purpose: the searches
// are short, and byte identity is the point. C's MIN/MAX are spelled out as ggml's macros
// compare (for the float max of make_qp_quants, NaN would tell them apart from std::max).

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "codec/block_io.hpp"
#include "codec/float_to_int.hpp"
#include "codec/k_scales.hpp"
#include "codec/make_qp_quants.hpp"
#include "codec/kernels.hpp"

namespace qframe::codec {
namespace {

// C's MIN(a, b) and MAX(a, b) on ints.
inline int min_c(int a, int b) { return a < b ? a : b; }
inline int max_c(int a, int b) { return a > b ? a : b; }

// sqrt(sigma2 + x²) times the column's importance, per value of a block of n.
inline void weigh(const float* x, const float* importance, float sigma2, int n, float* weight) {
    for (int l = 0; l < n; ++l) weight[l] = importance[l] * std::sqrt(sigma2 + x[l] * x[l]);
}

inline float sum_of_squares(const float* x, size_t n) {
    float s = 0;
    for (size_t j = 0; j < n; ++j) s += x[j] * x[j];
    return s;
}

// ---- make_qx_quants with rmse_type 1 and weights: symmetric quants -nmax..nmax-1, stored +nmax ----
//
// The value of largest magnitude maps to -nmax, then 18 nearby scales are tried; the one with
// the best weighted fit (largest sumlx² / suml2) wins.
float make_qx_quants(int n, int nmax, const float* x, int8_t* L, const float* w) {
    float max = 0, amax = 0;
    for (int i = 0; i < n; ++i) {
        const float ax = std::fabs(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < kGroupMaxEps) {
        std::memset(L, 0, size_t(n));
        return 0.0f;
    }
    float iscale = float(-nmax) / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = max_c(-nmax, min_c(nmax - 1, nearest_int(iscale * x[i])));
        L[i] = int8_t(l + nmax);
        sumlx += w[i] * x[i] * float(l);
        suml2 += w[i] * float(l) * float(l);
    }
    float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;  // C's `suml2 ?`: NaN counts as true
    float best = scale * sumlx;
    for (int is = -9; is <= 9; ++is) {
        if (is == 0) continue;
        iscale = -(float(nmax) + 0.1f * float(is)) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; ++i) {
            const int l = max_c(-nmax, min_c(nmax - 1, nearest_int(iscale * x[i])));
            sumlx += w[i] * x[i] * float(l);
            suml2 += w[i] * float(l) * float(l);
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; ++i)
                L[i] = int8_t(nmax + max_c(-nmax, min_c(nmax - 1, nearest_int(iscale * x[i]))));
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

// ---- make_qkx3_quants with weights and squared error: quants 0..nmax, x ≈ scale * q - the_min ----
//
// Starts from min..max spread over 0..nmax, then tries nstep + 1 stretched grids, fitting scale
// and min to each by weighted least squares (min held at 0 when the fit wants it positive).
float make_qkx3_quants(int n, int nmax, const float* x, const float* w, uint8_t* L, float* the_min,
                       float rmin, float rdelta, int nstep) {
    float min = x[0], max = x[0];
    float sum_w = w[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; ++i) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    if (min > 0) min = 0;
    if (max <= min) {
        std::memset(L, 0, size_t(n));
        *the_min = -min;
        return 0.0f;
    }
    float iscale = float(nmax) / (max - min);
    float scale = 1 / iscale;
    float best_mad = 0;
    for (int i = 0; i < n; ++i) {
        L[i] = uint8_t(max_c(0, min_c(nmax, nearest_int(iscale * (x[i] - min)))));
        float diff = scale * float(L[i]) + min - x[i];
        diff = diff * diff;
        best_mad += w[i] * diff;
    }
    uint8_t Laux[32];
    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + rdelta * float(is) + float(nmax)) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; ++i) {
            const int l = max_c(0, min_c(nmax, nearest_int(iscale * (x[i] - min))));
            Laux[i] = uint8_t(l);
            sum_l += w[i] * float(l);
            sum_l2 += w[i] * float(l) * float(l);
            sum_xl += w[i] * float(l) * x[i];
        }
        const float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float mad = 0;
            for (int i = 0; i < n; ++i) {
                float diff = this_scale * float(Laux[i]) + this_min - x[i];
                diff = diff * diff;
                mad += w[i] * diff;
            }
            if (mad < best_mad) {
                std::memcpy(L, Laux, size_t(n));
                best_mad = mad;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *the_min = -min;
    return scale;
}

}  // namespace

// ---- make_qp_quants: the k-quants' sub-block scales (or mins, all >= 0) to 0..nmax ----
//
// Picks the best of 9 grids by weighted squared error, then moves single quants while that
// improves the weighted fit, as make_q3_quants does. ggml keeps L in uint8_t, so the first
// guess is not clamped (it wraps), and the sums use the unwrapped int where ggml does.
float make_qp_quants(int n, int nmax, const float* x, uint8_t* L, const float* w) {
    float max = 0;
    for (int i = 0; i < n; ++i) max = max > x[i] ? max : x[i];
    if (max == 0) {
        std::memset(L, 0, size_t(n));
        return 0.0f;
    }
    float iscale = float(nmax) / max;
    for (int i = 0; i < n; ++i) L[i] = uint8_t(nearest_int(iscale * x[i]));
    const float scale = 1 / iscale;
    float best_mse = 0;
    for (int i = 0; i < n; ++i) {
        const float diff = x[i] - scale * float(L[i]);
        best_mse += w[i] * diff * diff;
    }
    for (int is = -4; is <= 4; ++is) {
        if (is == 0) continue;
        const float iscale_is = (0.1f * float(is) + float(nmax)) / max;
        const float scale_is = 1 / iscale_is;
        float mse = 0;
        for (int i = 0; i < n; ++i) {
            const int l = min_c(nmax, nearest_int(iscale_is * x[i]));
            const float diff = x[i] - scale_is * float(l);
            mse += w[i] * diff * diff;
        }
        if (mse < best_mse) {
            best_mse = mse;
            iscale = iscale_is;
        }
    }
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = min_c(nmax, nearest_int(iscale * x[i]));
        L[i] = uint8_t(l);
        sumlx += w[i] * x[i] * float(l);
        suml2 += w[i] * float(l) * float(l);
    }
    for (int itry = 0; itry < 5; ++itry) {
        int n_changed = 0;
        for (int i = 0; i < n; ++i) {
            float slx = sumlx - w[i] * x[i] * float(L[i]);
            float sl2 = suml2 - w[i] * float(L[i]) * float(L[i]);
            if (slx > 0 && sl2 > 0) {
                const int new_l = min_c(nmax, nearest_int(x[i] * sl2 / slx));
                if (new_l != L[i]) {
                    slx += w[i] * x[i] * float(new_l);
                    sl2 += w[i] * float(new_l) * float(new_l);
                    if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = uint8_t(new_l);
                        sumlx = slx;
                        suml2 = sl2;
                        ++n_changed;
                    }
                }
            }
        }
        if (!n_changed) break;
    }
    return sumlx / suml2;
}

namespace {

// Bit j of the result is the fifth bit of q[j] (Q5_0, Q5_1); the low nibbles go to qs.
template <class Block, class T>
void pack_5bit(const T q[QK], Block& blk) {
    uint32_t qh = 0;
    for (int j = 0; j < QK / 2; ++j) {
        const uint8_t lo = uint8_t(q[j]), hi = uint8_t(q[j + QK / 2]);
        blk.qs[j] = uint8_t((lo & 0x0f) | (hi & 0x0f) << 4);
        qh |= uint32_t((lo & 0x10u) >> 4) << j;
        qh |= uint32_t((hi & 0x10u) >> 4) << (j + QK / 2);
    }
    std::memcpy(blk.qh, &qh, 4);
}

// Q4_K and Q5_K after the sub-block search: 8 scales and 8 mins to 6 bits against their sub-blocks'
// total weights, then every value requantized with what the block actually stores.
template <class Block>
void finish_scale_min_k(const float* x, int nmax, const float scales[8], const float mins[8],
                        const float sw[8], bool clamp_63, Block& blk, uint8_t L[QK_K]) {
    uint8_t ls[8], lm[8];
    const float d_block = make_qp_quants(8, 63, scales, ls, sw);
    const float m_block = make_qp_quants(8, 63, mins, lm, sw);
    if (clamp_63)  // Q5_K clamps, Q4_K does not: they differ only where a negative scale wrapped
        for (int j = 0; j < 8; ++j) {
            ls[j] = uint8_t(min_c(63, ls[j]));
            lm[j] = uint8_t(min_c(63, lm[j]));
        }
    pack_scale_min_k4(blk.scales, ls, lm);
    store_f16(blk.d, d_block);
    store_f16(blk.dmin, m_block);
    for (int j = 0; j < 8; ++j) {
        const auto [sc, m] = scale_min_k4(blk.scales, j);
        const float d = load_f16(blk.d) * float(sc);
        if (d == 0) continue;  // keep the search's quants, as ggml does
        const float dm = load_f16(blk.dmin) * float(m);
        for (int i = 0; i < 32; ++i)
            L[32 * j + i] = uint8_t(max_c(0, min_c(nmax, nearest_int((x[32 * j + i] + dm) / d))));
    }
}

// The shared search of Q4_K (nmax 15) and Q5_K (nmax 31): one super-block's 8 sub-blocks of 32.
template <class Block>
void encode_scale_min_k(const float* x, const float* importance, int nmax, bool clamp_63, Block& blk,
                        uint8_t L[QK_K]) {
    const float sigma2 = 2 * sum_of_squares(x, QK_K) / QK_K;
    float scales[8], mins[8], sw[8], weight[32];
    for (int j = 0; j < 8; ++j) {
        weigh(x + 32 * j, importance + 32 * j, sigma2, 32, weight);
        float sumw = 0;
        for (int l = 0; l < 32; ++l) sumw += weight[l];
        sw[j] = sumw;
        scales[j] = make_qkx3_quants(32, nmax, x + 32 * j, weight, L + 32 * j, &mins[j], -0.9f, 0.05f, 36);
    }
    finish_scale_min_k(x, nmax, scales, mins, sw, clamp_63, blk, L);
}

// ---- legacy quants: sigma2 is the mean square of the whole row ----

// Symmetric types (Q4_0: -8..7 stored +8; Q5_0: -16..15 stored +16), from make_qx_quants, and
// those with a min (Q4_1: 0..15; Q5_1: 0..31), from make_qkx3_quants; `pack` writes the quants.
template <class Block, int NMax, class Pack>
void encode_symmetric(const float* row, std::byte* dst, size_t n_per_row, const float* weights, Pack pack) {
    const float sigma2 = sum_of_squares(row, n_per_row) / float(n_per_row);
    for (size_t b = 0; b < n_per_row / QK; ++b) {
        const float* x = row + QK * b;
        float weight[QK];
        int8_t L[QK];
        weigh(x, weights + QK * b, sigma2, QK, weight);
        Block blk;
        store_f16(blk.d, make_qx_quants(QK, NMax, x, L, weight));
        pack(L, blk);
        store_block(dst, b, blk);
    }
}

template <class Block, int NMax, class Pack>
void encode_with_min(const float* row, std::byte* dst, size_t n_per_row, const float* weights, Pack pack) {
    const float sigma2 = sum_of_squares(row, n_per_row) / float(n_per_row);
    for (size_t b = 0; b < n_per_row / QK; ++b) {
        const float* x = row + QK * b;
        float weight[QK], min;
        uint8_t L[QK];
        weigh(x, weights + QK * b, sigma2, QK, weight);
        const float d = make_qkx3_quants(QK, NMax, x, weight, L, &min, -0.9f, 0.05f, 36);
        Block blk;
        store_f16(blk.d, d);
        store_f16(blk.m, -min);
        pack(L, blk);
        store_block(dst, b, blk);
    }
}

// Two 4-bit quants a byte: value j low, value j + 16 high.
constexpr auto kPackNibbles = [](const auto* L, auto& blk) {
    for (int j = 0; j < QK / 2; ++j) blk.qs[j] = uint8_t(L[j] | L[j + QK / 2] << 4);
};
constexpr auto kPack5 = [](const auto* L, auto& blk) { pack_5bit(L, blk); };

}  // namespace

void encode_q4_0_weighted(const float* row, std::byte* dst, size_t n, const float* w) { encode_symmetric<BlockQ4_0, 8>(row, dst, n, w, kPackNibbles); }
void encode_q5_0_weighted(const float* row, std::byte* dst, size_t n, const float* w) { encode_symmetric<BlockQ5_0, 16>(row, dst, n, w, kPack5); }
void encode_q4_1_weighted(const float* row, std::byte* dst, size_t n, const float* w) { encode_with_min<BlockQ4_1, 15>(row, dst, n, w, kPackNibbles); }
void encode_q5_1_weighted(const float* row, std::byte* dst, size_t n, const float* w) { encode_with_min<BlockQ5_1, 31>(row, dst, n, w, kPack5); }

// ---- k-quants: sigma2 is a mean square of each super-block (twice it for Q3_K … Q5_K) ----

// 16 groups of 16, 2-bit quants with a min; 4-bit scales and mins from make_qp_quants.
void encode_q2_k_weighted(const float* row, std::byte* dst, size_t n_per_row, const float* weights) {
    for (size_t b = 0; b < n_per_row / QK_K; ++b) {
        const float* x = row + QK_K * b;
        const float* importance = weights + QK_K * b;
        const float sigma2 = sum_of_squares(x, QK_K) / QK_K;
        uint8_t L[QK_K];
        float scales[16], mins[16], sw[16], weight[16];
        for (int j = 0; j < 16; ++j) {
            weigh(x + 16 * j, importance + 16 * j, sigma2, 16, weight);
            sw[j] = 0;
            for (int l = 0; l < 16; ++l) sw[j] += weight[l];
            scales[j] = make_qkx3_quants(16, 3, x + 16 * j, weight, L + 16 * j, &mins[j], -0.9f, 0.05f, 36);
        }
        uint8_t ls[16], lm[16];
        const float dm = make_qp_quants(16, 15, scales, ls, sw);
        const float mm = make_qp_quants(16, 15, mins, lm, sw);

        BlockQ2_K blk;
        store_f16(blk.d, dm);
        store_f16(blk.dmin, mm);
        const float d_all = load_f16(blk.d), m_all = load_f16(blk.dmin);
        for (int j = 0; j < 16; ++j) blk.scales[j] = uint8_t(ls[j] | lm[j] << 4);
        for (int j = 0; j < 16; ++j) {
            const float d = d_all * float(blk.scales[j] & 0x0f);
            if (d == 0) continue;
            const float m = m_all * float(blk.scales[j] >> 4);
            for (int i = 0; i < 16; ++i)
                L[16 * j + i] = uint8_t(max_c(0, min_c(3, nearest_int((x[16 * j + i] + m) / d))));
        }
        pack_2bit(L, QK_K, blk.qs);
        store_block(dst, b, blk);
    }
}

// 16 groups of 16, 3-bit signed quants (-4..3, stored +4); the 16 scales themselves go through
// make_qx_quants (6-bit signed, stored +32) weighted by their groups' total weights.
void encode_q3_k_weighted(const float* row, std::byte* dst, size_t n_per_row, const float* weights) {
    for (size_t b = 0; b < n_per_row / QK_K; ++b) {
        const float* x = row + QK_K * b;
        const float* importance = weights + QK_K * b;
        const float sigma2 = 2 * sum_of_squares(x, QK_K) / QK_K;
        int8_t L[QK_K];
        float scales[16], sw[16], weight[16];
        for (int j = 0; j < 16; ++j) {
            weigh(x + 16 * j, importance + 16 * j, sigma2, 16, weight);
            float sumw = 0;
            for (int l = 0; l < 16; ++l) sumw += weight[l];
            sw[j] = sumw;
            scales[j] = make_qx_quants(16, 4, x + 16 * j, L + 16 * j, weight);
        }
        int8_t ls[16];
        const float d_block = make_qx_quants(16, 32, scales, ls, sw);
        int stored[16];
        for (int j = 0; j < 16; ++j) stored[j] = ls[j];

        BlockQ3_K blk;
        pack_scales_q3_k(blk.scales, stored);
        store_f16(blk.d, d_block);
        for (int j = 0; j < 16; ++j) {
            const float d = load_f16(blk.d) * float(scale_q3_k(blk.scales, j));
            if (d == 0) continue;
            for (int i = 0; i < 16; ++i)
                L[16 * j + i] = int8_t(max_c(-4, min_c(3, nearest_int(x[16 * j + i] / d))) + 4);
        }

        // The third bit of value j goes to bit j / 32 of hmask[j % 32]; the low 2 bits to qs.
        std::memset(blk.hmask, 0, sizeof blk.hmask);
        for (int j = 0; j < QK_K; ++j) {
            if (L[j] > 3) {
                blk.hmask[j % 32] |= uint8_t(1u << (j / 32));
                L[j] = int8_t(L[j] - 4);
            }
        }
        pack_2bit(L, QK_K, blk.qs);
        store_block(dst, b, blk);
    }
}

// 8 sub-blocks of 32, 4-bit quants with a min; 6-bit scales and mins.
void encode_q4_k_weighted(const float* row, std::byte* dst, size_t n_per_row, const float* weights) {
    for (size_t b = 0; b < n_per_row / QK_K; ++b) {
        BlockQ4_K blk;
        uint8_t L[QK_K];
        encode_scale_min_k(row + QK_K * b, weights + QK_K * b, 15, false, blk, L);
        // Sub-blocks 2c and 2c+1 share qs[32c ..): low and high nibble.
        for (int c = 0; c < 4; ++c)
            for (int l = 0; l < 32; ++l) blk.qs[32 * c + l] = uint8_t(L[64 * c + l] | L[64 * c + 32 + l] << 4);
        store_block(dst, b, blk);
    }
}

// Q4_K with a fifth bit: that of value l of sub-block s goes to bit s of qh[l].
void encode_q5_k_weighted(const float* row, std::byte* dst, size_t n_per_row, const float* weights) {
    for (size_t b = 0; b < n_per_row / QK_K; ++b) {
        BlockQ5_K blk;
        uint8_t L[QK_K];
        encode_scale_min_k(row + QK_K * b, weights + QK_K * b, 31, true, blk, L);
        std::memset(blk.qh, 0, sizeof blk.qh);
        for (int c = 0; c < 4; ++c)
            for (int l = 0; l < 32; ++l) {
                const int lo = L[64 * c + l], hi = L[64 * c + 32 + l];
                blk.qs[32 * c + l] = uint8_t((lo & 0x0f) | (hi & 0x0f) << 4);
                blk.qh[l] |= uint8_t((lo >> 4) << (2 * c) | (hi >> 4) << (2 * c + 1));
            }
        store_block(dst, b, blk);
    }
}

// 16 groups of 16, 6-bit signed quants with int8 scales. ggml weighs each group by the raw
// importance here (its sqrt(sigma2 + x²) factor is commented out).
void encode_q6_k_weighted(const float* row, std::byte* dst, size_t n_per_row, const float* weights) {
    for (size_t b = 0; b < n_per_row / QK_K; ++b) {
        const float* x = row + QK_K * b;
        const float* importance = weights + QK_K * b;
        int8_t L[QK_K];
        float scales[16];
        float max_scale = 0, max_abs_scale = 0;
        for (int g = 0; g < 16; ++g) {
            scales[g] = make_qx_quants(16, 32, x + 16 * g, L + 16 * g, importance + 16 * g);
            const float a = std::fabs(scales[g]);
            if (a > max_abs_scale) {
                max_abs_scale = a;
                max_scale = scales[g];
            }
        }

        BlockQ6_K blk;
        if (max_abs_scale < kGroupMaxEps) {  // the whole super-block is (nearly) zero
            std::memset(&blk, 0, sizeof blk);
            store_block(dst, b, blk);
            continue;
        }
        const float iscale = -128.0f / max_scale;
        store_f16(blk.d, 1 / iscale);
        for (int g = 0; g < 16; ++g) blk.scales[g] = int8_t(min_c(127, nearest_int(iscale * scales[g])));

        for (int g = 0; g < 16; ++g) {
            const float d = load_f16(blk.d) * float(blk.scales[g]);
            if (d == 0) continue;
            for (int i = 0; i < 16; ++i)
                L[16 * g + i] = int8_t(max_c(-32, min_c(31, nearest_int(x[16 * g + i] / d))) + 32);
        }

        // Per 128 values: ql gets the low nibbles (values l and l+64 in ql[l], l+32 and l+96 in
        // ql[l+32]), qh the top 2 bits of l, l+32, l+64, l+96.
        for (int h = 0; h < 2; ++h) {
            const int8_t* q = L + 128 * h;
            uint8_t* ql = blk.ql + 64 * h;
            uint8_t* qh = blk.qh + 32 * h;
            for (int l = 0; l < 32; ++l) {
                ql[l] = uint8_t((q[l] & 0x0f) | (q[l + 64] & 0x0f) << 4);
                ql[l + 32] = uint8_t((q[l + 32] & 0x0f) | (q[l + 96] & 0x0f) << 4);
                qh[l] = uint8_t(q[l] >> 4 | (q[l + 32] >> 4) << 2 | (q[l + 64] >> 4) << 4 | (q[l + 96] >> 4) << 6);
            }
        }
        store_block(dst, b, blk);
    }
}

}  // namespace qframe::codec
