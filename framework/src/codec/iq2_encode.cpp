// IQ2_XXS, IQ2_XS and IQ2_S encoders: ggml's quantize_row_iq2_{xxs,xs,s}_impl, as quantize_iq2_*
// run them for llama-quantize — IQ2_XXS and IQ2_XS only with an importance matrix (ggml asserts
// one; encode() refuses them), IQ2_S with or without.
//
// Per group (IQ2_XXS: 32 values, IQ2_XS and IQ2_S: 16): magnitudes are fitted by a scale times points of an
// 8-dimensional grid (values 1, 3, 5), trying 13 (IQ2_XS: 19) scales around a first guess; a point
// off the grid is replaced by its best listed neighbour (codec/iq_search.hpp). Signs are stored 7
// per 8 values (an even count, flipping the least important value; IQ2_S: all 8). Group scales are stored as
// 4-bit multiples of the super-block's F16 scale. Every float operation is in ggml's order, and
// the indices of the last accepted trial carry over between groups as in ggml (see iq3_encode.cpp).

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "codec/block_io.hpp"
#include "codec/float_to_int.hpp"
#include "codec/iq_encode_steps.hpp"
#include "codec/iq_search.hpp"
#include "codec/kernels.hpp"
#include "codec/make_qp_quants.hpp"

namespace qframe::codec {
namespace {

constexpr int kMaxQ = 3;

float sigma2_of(const float* x) { return iq::sum_of_squares(x, QK_K) / QK_K; }

__attribute__((target_clones("avx512f", "arch=x86-64-v3", "default"))) void iq2_xxs_row(const float* x, std::byte* dst, size_t n, const float* importance) {
    iq::require_finite(x, n, "IQ2_XXS");
    const Iq2Search& s = iq2_search(TensorType::IQ2_XXS);
    int8_t L[32] = {};
    for (size_t ibl = 0; ibl < n / QK_K; ++ibl) {
        BlockIQ2_XXS blk{};
        uint32_t q2[2 * (QK_K / 32)] = {};  // per group: 4 grid bytes; 4×7 sign bits and the scale
        float scales[QK_K / 32];
        float max_scale = 0;
        const float* xbl = x + QK_K * ibl;
        const float sigma2 = sigma2_of(xbl);
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const float* xb = xbl + 32 * ib;
            float weight[32], waux[32], xval[32];
            iq::importance_weights(xb, importance + QK_K * ibl + 32 * ib, sigma2, 32, weight, waux);
            uint8_t block_signs[4];
            iq::split_even_signs<32>(xb, weight, xval, block_signs);
            const float max = iq::max_of(xval, 32);
            if (max < kGroupMaxEps) {
                scales[ib] = 0;
                std::memset(L, 0, sizeof L);
                continue;
            }
            float scale = make_qp_quants(32, kMaxQ + 1, xval, reinterpret_cast<uint8_t*>(L), weight);
            const float eff_max = scale * kMaxQ;
            iq::fit_trials<Iq2Search, 32>(s, xval, weight, waux, eff_max, 6, 0.1f, kMaxQ, L, nullptr, scale);
            if (scale > 0) {  // every octet again at the chosen scale
                const float id = 1 / scale;
                for (int k = 0; k < 4; ++k) {
                    const uint32_t u = iq::code_of<Iq2Search>(xval + 8 * k, id, kMaxQ, nullptr);
                    int grid_index = s.map[u];
                    if (grid_index < 0) grid_index = iq::best_neighbour(s, u, xval + 8 * k, waux + 8 * k, scale, L + 8 * k);
                    for (int i = 0; i < 8; ++i) L[8 * k + i] = int8_t((Iq2Search::value(s.grid[size_t(grid_index)], i) - 1) / 2);
                }
                float sumqx, sumq2;
                iq::weighted_sums<32>(xval, weight, L, sumqx, sumq2);
                if (sumq2 > 0) scale = sumqx / sumq2;
            }
            if (scale < 0) {
                scale = -scale;
                for (int k = 0; k < 4; ++k) block_signs[k] = uint8_t(~block_signs[k] & 127);
            }
            for (int k = 0; k < 4; ++k) {
                q2[2 * ib] |= uint32_t(iq::grid_index_of(s, L + 8 * k)) << 8 * k;
                q2[2 * ib + 1] |= uint32_t(block_signs[k]) << 7 * k;
            }
            if (!(scale >= 0)) throw std::domain_error("IQ2_XXS encoder: no scale (ggml asserts here)");
            scales[ib] = scale;
            max_scale = max_scale > scale ? max_scale : scale;
        }
        if (max_scale != 0) {
            const float d = max_scale / 31;
            store_f16(blk.d, d);
            const float id = 1 / d;
            for (int ib = 0; ib < QK_K / 32; ++ib)
                q2[2 * ib + 1] |= uint32_t(iq::clamp_c(nearest_int(0.5f * (id * scales[ib] - 1)), 0, 15)) << 28;
            std::memcpy(blk.qs, q2, sizeof q2);
        } else {
            store_f16(blk.d, 0.f);
        }
        store_block(dst, ibl, blk);
    }
}

// The scale of one group of 16 magnitudes (IQ2_XS, IQ2_S), codes in L: 19 scales around max/5,
// then the octets that fell off the grid again at the chosen scale.
__attribute__((target_clones("avx512f", "arch=x86-64-v3", "default"))) float fit_group16(const Iq2Search& s, const float* xval, const float* weight, const float* waux, float max, int8_t* L) {
    float scale = max / (2 * kMaxQ - 1);
    bool on_grid[2] = {true, true};
    iq::fit_trials<Iq2Search, 16>(s, xval, weight, waux, max, 9, 0.1f, kMaxQ, L, on_grid, scale);
    if ((!on_grid[0] || !on_grid[1]) && scale > 0) {
        const float id = 1 / scale;
        for (int k = 0; k < 2; ++k) {
            if (on_grid[k]) continue;
            const uint32_t u = iq::code_of<Iq2Search>(xval + 8 * k, id, kMaxQ, L + 8 * k);
            if (s.map[u] < 0) iq::best_neighbour(s, u, xval + 8 * k, waux + 8 * k, scale, L + 8 * k);
        }
        float sumqx, sumq2;
        iq::weighted_sums<16>(xval, weight, L, sumqx, sumq2);
        if (sumq2 > 0) scale = sumqx / sumq2;
    }
    return scale;
}

// Group scales as 4-bit codes, two per byte, of the super-block scale max_scale/31.
void pack_scales16(const float* scales, float d, uint8_t* out) {
    const float id = 1 / d;
    for (int ib = 0; ib < QK_K / 16; ++ib) {
        const int l = iq::clamp_c(nearest_int(0.5f * (id * scales[ib] - 1)), 0, 15);
        if (ib % 2 == 0) out[ib / 2] = uint8_t(l);
        else out[ib / 2] = uint8_t(out[ib / 2] | (l << 4));
    }
}

void iq2_xs_row(const float* x, std::byte* dst, size_t n, const float* importance) {
    iq::require_finite(x, n, "IQ2_XS");
    const Iq2Search& s = iq2_search(TensorType::IQ2_XS);
    int8_t L[16] = {};
    for (size_t ibl = 0; ibl < n / QK_K; ++ibl) {
        BlockIQ2_XS blk{};
        uint16_t q2[2 * (QK_K / 16)] = {};  // per 8 values: a 9-bit grid index and 7 sign bits
        float scales[QK_K / 16];
        float max_scale = 0;
        const float* xbl = x + QK_K * ibl;
        const float sigma2 = sigma2_of(xbl);
        for (int ib = 0; ib < QK_K / 16; ++ib) {
            const float* xb = xbl + 16 * ib;
            float weight[16], waux[16], xval[16];
            iq::importance_weights(xb, importance + QK_K * ibl + 16 * ib, sigma2, 16, weight, waux);
            uint8_t block_signs[2];
            iq::split_even_signs<16>(xb, weight, xval, block_signs);
            const float max = iq::max_of(xval, 16);
            if (max < kGroupMaxEps) {
                scales[ib] = 0;
                std::memset(L, 0, sizeof L);
                continue;
            }
            float scale = fit_group16(s, xval, weight, waux, max, L);
            if (scale < 0) {
                scale = -scale;
                for (int k = 0; k < 2; ++k) block_signs[k] = uint8_t(~block_signs[k] & 127);
            }
            for (int k = 0; k < 2; ++k) q2[2 * ib + k] = uint16_t(iq::grid_index_of(s, L + 8 * k) | (block_signs[k] << 9));
            if (!(scale >= 0)) throw std::domain_error("IQ2_XS encoder: no scale (ggml asserts here)");
            scales[ib] = scale;
            max_scale = max_scale > scale ? max_scale : scale;
        }
        if (max_scale != 0) {
            const float d = max_scale / 31;
            store_f16(blk.d, d);
            pack_scales16(scales, d, blk.scales);
            std::memcpy(blk.qs, q2, sizeof q2);
        } else {
            store_f16(blk.d, 0.f);
        }
        store_block(dst, ibl, blk);
    }
}

// IQ2_S: groups of 16 with plain sign bytes and 10-bit grid indices; importance optional
// (without it each value weighs sigma2/4 + x²).
void iq2_s_row(const float* x, std::byte* dst, size_t n, const float* importance) {
    iq::require_finite(x, n, "IQ2_S");
    constexpr float kGroupMaxEpsIq2S = 1e-8f;  // ggml's GROUP_MAX_EPS_IQ2_S
    const Iq2Search& s = iq2_search(TensorType::IQ2_S);
    int8_t L[16] = {};
    for (size_t ibl = 0; ibl < n / QK_K; ++ibl) {
        BlockIQ2_S blk{};
        store_f16(blk.d, 0.f);
        float scales[QK_K / 16];
        float max_scale = 0;
        const float* xbl = x + QK_K * ibl;
        const float sigma2 = 2 * iq::sum_of_squares(xbl, QK_K) / QK_K;
        for (int ib = 0; ib < QK_K / 16; ++ib) {
            const float* xb = xbl + 16 * ib;
            float weight[16], waux[16], xval[16];
            if (importance) iq::importance_weights(xb, importance + QK_K * ibl + 16 * ib, sigma2, 16, weight, waux);
            else {
                for (int i = 0; i < 16; ++i) weight[i] = 0.25f * sigma2 + xb[i] * xb[i];
                for (int i = 0; i < 16; ++i) waux[i] = std::sqrt(weight[i]);
            }
            uint8_t block_signs[2];
            iq::split_signs<16>(xb, xval, block_signs);
            const float max = iq::max_of(xval, 16);
            if (max < kGroupMaxEpsIq2S) {
                scales[ib] = 0;
                continue;
            }
            float scale = fit_group16(s, xval, weight, waux, max, L);
            if (scale < 0) {
                scale = -scale;
                for (int k = 0; k < 2; ++k) block_signs[k] = uint8_t(~block_signs[k]);
            }
            for (int k = 0; k < 2; ++k) {
                const int grid_index = iq::grid_index_of(s, L + 8 * k);
                const int i8 = 2 * ib + k;
                blk.qs[i8] = uint8_t(grid_index & 255);
                blk.qh[i8 / 4] = uint8_t(blk.qh[i8 / 4] | ((grid_index >> 8) << 2 * (i8 % 4)));
                blk.qs[QK_K / 8 + i8] = block_signs[k];
            }
            if (!(scale >= 0)) throw std::domain_error("IQ2_S encoder: no scale (ggml asserts here)");
            scales[ib] = scale;
            max_scale = max_scale > scale ? max_scale : scale;
        }
        if (max_scale != 0) {
            const float d = max_scale / 31;
            store_f16(blk.d, d * 0.9875f);  // ggml's fudge factor
            pack_scales16(scales, d, blk.scales);
        }
        store_block(dst, ibl, blk);
    }
}

}  // namespace

void encode_iq2_xxs_weighted(const float* row, std::byte* dst, size_t n_per_row, const float* weights) {
    iq2_xxs_row(row, dst, n_per_row, weights);
}
void encode_iq2_xs_weighted(const float* row, std::byte* dst, size_t n_per_row, const float* weights) { iq2_xs_row(row, dst, n_per_row, weights); }
void encode_iq2_s(const float* src, std::byte* dst, size_t n_blocks) { iq2_s_row(src, dst, n_blocks * QK_K, nullptr); }
void encode_iq2_s_weighted(const float* row, std::byte* dst, size_t n_per_row, const float* weights) { iq2_s_row(row, dst, n_per_row, weights); }

}  // namespace qframe::codec
