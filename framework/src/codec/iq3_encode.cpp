// IQ3_XXS and IQ3_S encoders: ggml's quantize_row_iq3_xxs_impl and quantize_row_iq3_s_impl, as
// quantize_iq3_xxs / quantize_iq3_s run them for llama-quantize, with and without importance.
//
// Per group of 32: the magnitudes are fitted by a scale times grid points (4 odd values 1 … 15
// each, from the D4-lattice grids), trying 31 (IQ3_S: 19) scales; a point off the grid is
// replaced by its best listed neighbour (codec/iq_search.hpp). Signs are kept apart (IQ3_XXS
// stores 7 per 8 values, flipping the least important value to make the count even). Group
// scales are then stored as 4-bit multiples of a per-super-block F16 scale.
//
// Every float operation is in ggml's order, and like ggml the search state (the last accepted
// indices and their on-grid flags) carries over from group to group: a group whose weights are
// all zero accepts no trial and keeps its predecessor's, as in ggml. It starts zeroed per row,
// where ggml's is uninitialised (only a row whose first group has all-zero weights could tell).

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "codec/block_io.hpp"
#include "codec/float_to_int.hpp"
#include "codec/iq_grids.hpp"
#include "codec/iq_encode_steps.hpp"
#include "codec/iq_search.hpp"
#include "codec/kernels.hpp"

namespace qframe::codec {
namespace {

constexpr int kMaxQ = 8;
constexpr float kGroupMaxEpsIq3Xxs = 1e-8f;  // ggml's GROUP_MAX_EPS_IQ3_XXS

// The search state ggml keeps across the groups of a row.
struct Iq3State {
    int8_t L[32] = {};
    bool on_grid[8] = {};
};

// The scale of one group of 32 magnitudes (xval ≥ 0), codes in st.L; `trials` scales each side
// of max/15, then (where some points were off the grid) one refit: of the off-grid points only
// (IQ3_XXS) or of all (IQ3_S).
__attribute__((target_clones("avx512f", "arch=x86-64-v3", "default"))) float fit_group(const Iq3Search& s, const float* xval,
                                                                                        const float* weight, const float* waux, float max,
                                                                                        int trials, bool refit_all, Iq3State& st) {
    float scale = max / (2 * kMaxQ - 1);
    iq::fit_trials<Iq3Search, 32>(s, xval, weight, waux, max, trials, 0.2f, kMaxQ, st.L, st.on_grid, scale);
    int n_not_on_grid = 0;
    for (int k = 0; k < 8; ++k) n_not_on_grid += !st.on_grid[k];
    if (n_not_on_grid > 0 && scale > 0) {
        const float id = 1 / scale;
        for (int k = 0; k < 8; ++k) {
            if (!refit_all && st.on_grid[k]) continue;
            const uint32_t u = iq::code_of<Iq3Search>(xval + 4 * k, id, kMaxQ, nullptr);
            int grid_index = s.map[u];
            if (grid_index < 0) grid_index = iq::best_neighbour(s, u, xval + 4 * k, waux + 4 * k, scale, st.L + 4 * k);
            for (int i = 0; i < 4; ++i) st.L[4 * k + i] = int8_t((Iq3Search::value(s.grid[size_t(grid_index)], i) - 1) / 2);
        }
        float sumqx, sumq2;
        iq::weighted_sums<32>(xval, weight, st.L, sumqx, sumq2);
        if (sumq2 > 0) scale = sumqx / sumq2;
    }
    return scale;
}

void group_weights(const float* xb, const float* importance, float sigma2, float* weight, float* waux) {
    if (importance) return iq::importance_weights(xb, importance, sigma2, 32, weight, waux);
    for (int i = 0; i < 32; ++i) weight[i] = xb[i] * xb[i];
    for (int i = 0; i < 32; ++i) waux[i] = std::sqrt(weight[i]);
}

float sigma2_of(const float* x) { return 2 * iq::sum_of_squares(x, QK_K) / QK_K; }

// One row of IQ3_XXS (n a multiple of 256); importance per column, or nullptr.
void iq3_xxs_row(const float* x, std::byte* dst, size_t n, const float* importance) {
    iq::require_finite(x, n, "IQ3_XXS");
    const Iq3Search& s = iq3_search(256);
    Iq3State st;
    for (size_t ibl = 0; ibl < n / QK_K; ++ibl) {
        BlockIQ3_XXS blk{};
        uint8_t* q3 = blk.qs;  // 64 grid indices, then 8 words of signs and scale
        uint32_t scales_and_signs[QK_K / 32] = {};
        float scales[QK_K / 32];
        float max_scale = 0;
        const float* xbl = x + QK_K * ibl;
        const float sigma2 = sigma2_of(xbl);
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const float* xb = xbl + 32 * ib;
            float weight[32], waux[32], xval[32];
            group_weights(xb, importance ? importance + QK_K * ibl + 32 * ib : nullptr, sigma2, weight, waux);
            uint8_t block_signs[4];
            iq::split_even_signs<32>(xb, weight, xval, block_signs);
            const float max = iq::max_of(xval, 32);
            if (max < kGroupMaxEpsIq3Xxs) {
                scales[ib] = 0;
                std::memset(st.L, 0, sizeof st.L);
                continue;
            }
            float scale = fit_group(s, xval, weight, waux, max, 15, false, st);
            if (scale < 0) {  // ggml: "should never happen": flip the scale and the signs
                scale = -scale;
                for (int k = 0; k < 4; ++k) block_signs[k] = uint8_t(~block_signs[k] & 127);
            }
            for (int k = 0; k < 8; ++k) q3[8 * ib + k] = uint8_t(iq::grid_index_of(s, st.L + 4 * k));
            scales_and_signs[ib] = uint32_t(block_signs[0]) | uint32_t(block_signs[1]) << 7 | uint32_t(block_signs[2]) << 14 |
                                   uint32_t(block_signs[3]) << 21;
            scales[ib] = scale;
            max_scale = max_scale > scale ? max_scale : scale;
        }
        if (max_scale != 0) {
            const float d = max_scale / 31;
            store_f16(blk.d, d * 1.0125f);  // ggml's fudge factor
            const float id = 1 / d;
            for (int ib = 0; ib < QK_K / 32; ++ib) {
                const int l = iq::clamp_c(nearest_int(0.5f * (id * scales[ib] - 1)), 0, 15);
                scales_and_signs[ib] |= uint32_t(l) << 28;
            }
            std::memcpy(q3 + QK_K / 4, scales_and_signs, sizeof scales_and_signs);
        } else {
            std::memset(blk.qs, 0, sizeof blk.qs);  // d = 0 and every quant 0, as ggml leaves it
            store_f16(blk.d, 0.f);
        }
        store_block(dst, ibl, blk);
    }
}

// One row of IQ3_S: groups of 32 with 8-bit sign bytes, 9-bit grid indices.
void iq3_s_row(const float* x, std::byte* dst, size_t n, const float* importance) {
    iq::require_finite(x, n, "IQ3_S");
    const Iq3Search& s = iq3_search(512);
    Iq3State st;
    for (size_t ibl = 0; ibl < n / QK_K; ++ibl) {
        BlockIQ3_S blk{};
        store_f16(blk.d, 0.f);
        // ggml advances these past a group only once it is stored: an all-zero group leaves them
        // where they are, and the next group is written over its slot.
        uint8_t* qs = blk.qs;
        uint8_t* signs = blk.signs;
        float scales[QK_K / 32];
        float max_scale = 0;
        const float* xbl = x + QK_K * ibl;
        const float sigma2 = sigma2_of(xbl);
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const float* xb = xbl + 32 * ib;
            float weight[32], waux[32], xval[32];
            group_weights(xb, importance ? importance + QK_K * ibl + 32 * ib : nullptr, sigma2, weight, waux);
            uint8_t block_signs[4];
            iq::split_signs<32>(xb, xval, block_signs);
            const float max = iq::max_of(xval, 32);
            if (max == 0) {
                scales[ib] = 0;
                continue;
            }
            std::memset(st.on_grid, 0, sizeof st.on_grid);
            float scale = fit_group(s, xval, weight, waux, max, 9, true, st);
            if (scale < 0) {
                scale = -scale;
                for (int k = 0; k < 4; ++k) block_signs[k] = uint8_t(~block_signs[k]);
            }
            for (int k = 0; k < 8; ++k) {
                const int grid_index = iq::grid_index_of(s, st.L + 4 * k);
                qs[k] = uint8_t(grid_index & 255);
                blk.qh[(ib * 8 + k) / 8] = uint8_t(blk.qh[(ib * 8 + k) / 8] | ((grid_index >> 8) << ((ib * 8 + k) % 8)));
            }
            qs += 8;
            std::memcpy(signs, block_signs, 4);
            signs += 4;
            scales[ib] = scale;
            max_scale = max_scale > scale ? max_scale : scale;
        }
        if (max_scale != 0) {
            const float d = max_scale / 31;
            store_f16(blk.d, d * 1.033f);  // ggml's fudge factor
            const float id = 1 / d;
            for (int ib = 0; ib < QK_K / 32; ib += 2) {
                const int l1 = iq::clamp_c(nearest_int(0.5f * (id * scales[ib] - 1)), 0, 15);
                const int l2 = iq::clamp_c(nearest_int(0.5f * (id * scales[ib + 1] - 1)), 0, 15);
                blk.scales[ib / 2] = uint8_t(l1 | (l2 << 4));
            }
        }
        store_block(dst, ibl, blk);
    }
}

}  // namespace

void encode_iq3_xxs(const float* src, std::byte* dst, size_t n_blocks) { iq3_xxs_row(src, dst, n_blocks * QK_K, nullptr); }
void encode_iq3_s(const float* src, std::byte* dst, size_t n_blocks) { iq3_s_row(src, dst, n_blocks * QK_K, nullptr); }
void encode_iq3_xxs_weighted(const float* row, std::byte* dst, size_t n_per_row, const float* weights) {
    iq3_xxs_row(row, dst, n_per_row, weights);
}
void encode_iq3_s_weighted(const float* row, std::byte* dst, size_t n_per_row, const float* weights) { iq3_s_row(row, dst, n_per_row, weights); }

}  // namespace qframe::codec
