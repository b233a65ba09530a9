// IQ1_S and IQ1_M encoders: ggml's quantize_row_iq1_s_impl and quantize_row_iq1_m_impl, as
// quantize_iq1_s / quantize_iq1_m run them for llama-quantize (IQ1_S only with an importance
// matrix, which ggml asserts; IQ1_M with or without).
//
// Each value becomes -1, 0 or +1, shifted by ±1/8 (IQ1S_DELTA), times a group scale. The search
// sorts a group's values and tries every split into three runs (the exhaustive 1-D k-means of
// three levels), for both shifts (IQ1_M: the two halves of a group of 16 choose theirs apart);
// octets off the 2048-point grid are replaced by their nearest listed neighbour
// (codec/iq_search.hpp) and the scale refitted. Every float operation is in ggml's order. The
// sort is stable (glibc's qsort is a merge sort at these sizes, so ties keep index order), and
// the per-group state ggml keeps between groups (the last shift of an all-zero group) starts
// zeroed per row, where ggml's starts uninitialised.

#include <algorithm>
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

namespace qframe::codec {
namespace {

constexpr float kDelta = 0.125f;  // ggml's IQ1S_DELTA and IQ1M_DELTA
constexpr float kPlus[3] = {-1 + kDelta, kDelta, 1 + kDelta};
constexpr float kMinus[3] = {-1 - kDelta, -kDelta, 1 - kDelta};


// iq1_find_best_neighbour2: the listed neighbour nearest in weighted distance, its points read
// as the shifted levels xg; codes into L. The list's entries run kListLanes at a time, as in
// nearest_listed (iq_search.hpp), each entry's value 1, 3 or 5 read as xg[0], xg[1] or xg[2] by a
// lane permutation; the +inf padding gives a NaN distance (inf − inf), never the nearest.
// (Inlined into the target_clones rows below.)
[[gnu::always_inline]] inline int best_neighbour(const Iq2Search& s, uint32_t u, const float* x, const float* weight, float scale, const float* xg,
                                                 int8_t* L) {
    using EntryLanes = ListMinimum::Lanes;
    const auto list = s.neighbours_of(u);
    const size_t padded = Iq2Search::padded(list.size() - 1);
    const float* v = s.values_of(u);
    const EntryLanes levels = {xg[0], xg[1], xg[2], 0, 0, 0, 0, 0}, last = EntryLanes{} + 2.0f;
    ListMinimum minimum;
    ListMinimum::Ints at;
    for (size_t l = 0; l < kListLanes; ++l) at[l] = int32_t(l);
    for (size_t j = 0; j < padded; j += kListLanes, at += int32_t(kListLanes)) {
        EntryLanes d2 = EntryLanes{} + 0.0f, v0;
        std::memcpy(&v0, v + j, sizeof v0);
        for (int i = 0; i < 8; ++i) {
            EntryLanes vi;
            std::memcpy(&vi, v + size_t(i) * padded + j, sizeof vi);
            EntryLanes level = (vi - 1.0f) * 0.5f;
            level = level < last ? level : last;  // the padding's inf as level 2: a float → int conversion in range
            const EntryLanes q = __builtin_shuffle(levels, __builtin_convertvector(level, ListMinimum::Ints));
            const EntryLanes diff = scale * q - x[i];
            d2 += weight[i] * diff * diff;
        }
        d2 += v0 - v0;  // 0 for an entry, NaN for the padding
        minimum.update(d2, at);
    }
    const int entry = minimum.entry();
    // ggml then searches the whole grid, with an out-of-bounds read of x; only a NaN gets there.
    if (entry < 0) throw std::domain_error("IQ1 encoder: no neighbour nearer than FLT_MAX (non-finite input?)");
    const int grid_index = list[size_t(entry) + 1];
    for (int i = 0; i < 8; ++i) L[i] = int8_t((Iq2Search::value(s.grid[size_t(grid_index)], i) - 1) / 2);
    return grid_index;
}

// The group's values in ascending order (ties in index order): their indices. An insertion
// sort: stable, as std::stable_sort, without its buffer (a heap allocation per group).
template <int N>
void sorted_order(const float* xb, int* order) {
    for (int j = 0; j < N; ++j) {
        int i = j;
        while (i > 0 && xb[order[i - 1]] > xb[j]) {
            order[i] = order[i - 1];
            --i;
        }
        order[i] = j;
    }
}

// Codes 0/1/2 for the three runs [0, i1), [i1, i2), [i2, N) of the sorted values.
template <int N>
void assign_runs(const int* order, int i1, int i2, int8_t* L) {
    for (int j = 0; j < i1; ++j) L[order[j]] = 0;
    for (int j = i1; j < i2; ++j) L[order[j]] = 1;
    for (int j = i2; j < N; ++j) L[order[j]] = 2;
}

inline uint32_t code_of(const int8_t* L) {
    uint32_t u = 0;
    for (int j = 0; j < 8; ++j) u |= uint32_t(L[j]) << 2 * j;
    return u;
}

// The grid indices of a group's octets (codes in L); an octet off the grid becomes its nearest
// listed neighbour at `scale`, read with levels_of(k) (octet k's shifted levels). If any was off
// the grid, the scale refitted to the points chosen (kept where the fit is not positive).
template <int N, class LevelsOf>
[[gnu::always_inline]] inline float place_on_grid(const Iq2Search& s, const float* xb, const float* weight, float scale, LevelsOf levels_of, int8_t* L, uint16_t* index) {
    bool all_on_grid = true;
    for (int k = 0; k < N / 8; ++k) {
        const uint32_t u = code_of(L + 8 * k);
        int grid_index = s.map[u];
        if (grid_index < 0) {
            all_on_grid = false;
            grid_index = best_neighbour(s, u, xb + 8 * k, weight + 8 * k, scale, levels_of(k), L + 8 * k);
        }
        index[k] = uint16_t(grid_index);
    }
    if (all_on_grid) return scale;
    float sumqx = 0, sumq2 = 0;
    for (int k = 0; k < N / 8; ++k) {
        const float* xx = levels_of(k);
        for (int j = 0; j < 8; ++j) {
            const float w = weight[8 * k + j];
            const float q = xx[(Iq2Search::value(s.grid[index[k]], j) - 1) / 2];
            sumqx += w * q * xb[8 * k + j];
            sumq2 += w * q * q;
        }
    }
    return sumqx > 0 && sumq2 > 0 ? sumqx / sumq2 : scale;
}

// Whether any lane passes ggml's acceptance test against `best` (sumq2 > 0 and sumqx² > best ·
// sumq2). ggml accepts candidates one after another, each raising best (to about sumqx²/sumq2);
// a block of candidates none of which passes against the best at its start changes nothing, so
// only blocks with a lane that passes are then walked one by one, in ggml's order.
// Written without comparison masks, which GCC 12 turns into scalar code in target_clones: for
// floats a > b exactly when a − b > 0 (NaN, as inf − inf, fails both), so a lane passes exactly
// when min(sumq2, sumqx² − best·sumq2) > 0; the lanes' non-negative parts are then summed.
[[gnu::always_inline]] inline bool any_passes(const iq::Lanes& sumqx, const iq::Lanes& sumq2, float best) {
    const iq::Lanes zero = iq::Lanes{}, margin = sumqx * sumqx - best * sumq2;
    iq::Lanes m = sumq2 < margin ? sumq2 : margin;
    m = m > zero ? m : zero;
    iq::Lanes h = __builtin_shuffle(m, iq::LaneInts{8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7});
    m += h;
    h = __builtin_shuffle(m, iq::LaneInts{4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11});
    m += h;
    h = __builtin_shuffle(m, iq::LaneInts{2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13});
    m += h;
    h = __builtin_shuffle(m, iq::LaneInts{1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14});
    m += h;
    return m[0] > 0;
}

// IQ1_S's search for the best split of the 32 sorted values into three runs (levels −1, 0, +1,
// shifted by ±kDelta): every i1 ≤ i2, each with shift +1 then −1, from prefix sums in sorted
// order. The splits i2 = base … base+15 of one i1 run side by side, each lane's sums in ggml's
// order. scale, i1, i2 and the shift are those of the last accepted split (unchanged if none).
[[gnu::always_inline]] inline void best_split_s(const float* xb, const float* weight, const int* order, float& scale, int& besti1, int& besti2,
                                                int& best_shift) {
    constexpr int kGroup = 32;
    // Prefix sums; past i2 = 32, copies of the last, so that lanes past it sum as i2 = 32 does
    // (which is in the same block: they add no false "any").
    alignas(64) float sumx[kGroup + 1 + iq::kLaneCount], sumw[kGroup + 1 + iq::kLaneCount];
    sumx[0] = sumw[0] = 0;
    for (int j = 0; j < kGroup; ++j) {
        const int i = order[j];
        sumx[j + 1] = sumx[j] + weight[i] * xb[i];
        sumw[j + 1] = sumw[j] + weight[i];
    }
    for (int j = kGroup + 1; j < kGroup + 1 + iq::kLaneCount; ++j) sumx[j] = sumx[kGroup], sumw[j] = sumw[kGroup];
    float best_score = -FLT_MIN;
    for (int i1 = 0; i1 <= kGroup; ++i1) {
        for (int base = i1; base <= kGroup; base += iq::kLaneCount) {
            iq::Lanes sx, sw;
            std::memcpy(&sx, sumx + base, sizeof sx);
            std::memcpy(&sw, sumw + base, sizeof sw);
            // Shift +1 (kPlus), then −1 (kMinus).
            const iq::Lanes qx_plus = (sumx[i1] - sumx[0]) * kPlus[0] + (sx - sumx[i1]) * kPlus[1] + (sumx[kGroup] - sx) * kPlus[2];
            const iq::Lanes q2_plus = (sumw[i1] - sumw[0]) * kPlus[0] * kPlus[0] + (sw - sumw[i1]) * kPlus[1] * kPlus[1] +
                                      (sumw[kGroup] - sw) * kPlus[2] * kPlus[2];
            const iq::Lanes qx_minus = (sumx[i1] - sumx[0]) * kMinus[0] + (sx - sumx[i1]) * kMinus[1] + (sumx[kGroup] - sx) * kMinus[2];
            const iq::Lanes q2_minus = (sumw[i1] - sumw[0]) * kMinus[0] * kMinus[0] + (sw - sumw[i1]) * kMinus[1] * kMinus[1] +
                                       (sumw[kGroup] - sw) * kMinus[2] * kMinus[2];
            if (!any_passes(qx_plus, q2_plus, best_score) && !any_passes(qx_minus, q2_minus, best_score)) continue;
            alignas(64) float qx[2][iq::kLaneCount], q2[2][iq::kLaneCount];
            std::memcpy(qx[0], &qx_plus, sizeof qx_plus);
            std::memcpy(qx[1], &qx_minus, sizeof qx_minus);
            std::memcpy(q2[0], &q2_plus, sizeof q2_plus);
            std::memcpy(q2[1], &q2_minus, sizeof q2_minus);
            const int count = std::min(iq::kLaneCount, kGroup + 1 - base);
            for (int l = 0; l < count; ++l) {
                for (int c = 0; c < 2; ++c) {
                    if (q2[c][l] > 0 && qx[c][l] * qx[c][l] > best_score * q2[c][l]) {
                        scale = qx[c][l] / q2[c][l];
                        best_score = scale * qx[c][l];
                        besti1 = i1, besti2 = base + l, best_shift = c == 0 ? 1 : -1;
                    }
                }
            }
        }
    }
}

// IQ1_M's search for the best split of the 16 sorted values into three runs (levels −1, 0, +1,
// shifted by ±kDelta), each half of the group with its own shift: four sums per split (shift
// choices ++, +-, -+, --), each over the sorted values in ggml's order. The splits i2 = base …
// base+15 of one i1 run side by side. scale, i1, i2 and the choice are those of the last
// accepted split (unchanged if none).
[[gnu::always_inline]] inline void best_split_m(const float* xb, const float* weight, const int* order, float& scale, int& besti1, int& besti2,
                                                int& best_k) {
    constexpr int kGroup = 16;
    iq::LaneInts lane;
    for (int l = 0; l < iq::kLaneCount; ++l) lane[l] = l;
    float best_score = -FLT_MIN;
    for (int i1 = 0; i1 <= kGroup; ++i1) {
        for (int base = i1; base <= kGroup; base += iq::kLaneCount) {
            const int count = std::min(iq::kLaneCount, kGroup + 1 - base);
            const iq::LaneInts i2 = lane + base;
            iq::Lanes sumqx[4], sumq2[4];
            for (int k = 0; k < 4; ++k) sumqx[k] = sumq2[k] = iq::Lanes{} + 0.0f;
            for (int j = 0; j < kGroup; ++j) {
                const int i = order[j];
                // The value's level in each lane's split: run 0 below i1, then run 1 below i2, run 2 from it.
                const auto in_run1 = j < i2;
                const iq::Lanes p = j < i1 ? iq::Lanes{} + kPlus[0] : in_run1 ? iq::Lanes{} + kPlus[1] : iq::Lanes{} + kPlus[2];
                const iq::Lanes m = j < i1 ? iq::Lanes{} + kMinus[0] : in_run1 ? iq::Lanes{} + kMinus[1] : iq::Lanes{} + kMinus[2];
                const iq::Lanes wp = weight[i] * p * xb[i], wm = weight[i] * m * xb[i];
                const iq::Lanes qp = weight[i] * p * p, qm = weight[i] * m * m;
                if (i < kGroup / 2) {  // first half: choices 0, 1 take +, 2, 3 take -
                    sumqx[0] += wp, sumqx[1] += wp, sumqx[2] += wm, sumqx[3] += wm;
                    sumq2[0] += qp, sumq2[1] += qp, sumq2[2] += qm, sumq2[3] += qm;
                } else {  // second half: choices 0, 2 take +, 1, 3 take -
                    sumqx[0] += wp, sumqx[2] += wp, sumqx[1] += wm, sumqx[3] += wm;
                    sumq2[0] += qp, sumq2[2] += qp, sumq2[1] += qm, sumq2[3] += qm;
                }
            }
            // (Lanes past i2 = 16 sum as i2 = 16 does, which is in the block: they add no false "any".)
            bool any = false;
            for (int k = 0; k < 4; ++k) any = any || any_passes(sumqx[k], sumq2[k], best_score);
            if (!any) continue;
            alignas(64) float qx[4][iq::kLaneCount], q2[4][iq::kLaneCount];
            std::memcpy(qx, sumqx, sizeof qx);
            std::memcpy(q2, sumq2, sizeof q2);
            for (int l = 0; l < count; ++l) {
                for (int k = 0; k < 4; ++k) {
                    if (q2[k][l] > 0 && qx[k][l] * qx[k][l] > best_score * q2[k][l]) {
                        scale = qx[k][l] / q2[k][l];
                        best_score = scale * qx[k][l];
                        besti1 = i1, besti2 = base + l, best_k = k;
                    }
                }
            }
        }
    }
}

float sigma2_of(const float* x) { return 2 * iq::sum_of_squares(x, QK_K) / QK_K; }

void group_weights(const float* xb, const float* importance, float sigma2, int n, float* weight) {
    if (importance) return iq::importance_weights(xb, importance, sigma2, n, weight, nullptr);
    for (int i = 0; i < n; ++i) weight[i] = xb[i] * xb[i];
}

float abs_max(const float* xb, int n) {
    float max = std::fabs(xb[0]);
    for (int i = 1; i < n; ++i) {
        const float a = std::fabs(xb[i]);
        max = max > a ? max : a;
    }
    return max;
}

__attribute__((target_clones("avx512f", "arch=x86-64-v3", "default"))) void iq1_s_row(const float* x, std::byte* dst, size_t n, const float* importance) {
    iq::require_finite(x, n, "IQ1_S");
    constexpr int kGroup = 32;
    constexpr float kGroupMaxEpsIq1S = 1e-12f;  // ggml's GROUP_MAX_EPS_IQ1_S
    const Iq2Search& s = iq2_search(TensorType::IQ1_S);
    int8_t L[kGroup];
    std::memset(L, 1, sizeof L);
    int8_t shifts[QK_K / kGroup] = {};
    for (size_t ibl = 0; ibl < n / QK_K; ++ibl) {
        BlockIQ1_S blk{};
        uint16_t qh[QK_K / kGroup] = {};
        float scales[QK_K / kGroup];
        float max_scale = 0;
        const float* xbl = x + QK_K * ibl;
        const float sigma2 = sigma2_of(xbl);
        for (int ib = 0; ib < QK_K / kGroup; ++ib) {
            const float* xb = xbl + kGroup * ib;
            float weight[kGroup];
            group_weights(xb, importance + QK_K * ibl + kGroup * ib, sigma2, kGroup, weight);
            const float max = abs_max(xb, kGroup);
            if (max < kGroupMaxEpsIq1S) {
                scales[ib] = 0;
                std::memset(L, 1, sizeof L);
                continue;
            }
            int order[kGroup];
            sorted_order<kGroup>(xb, order);
            float scale = max;
            int besti1 = -1, besti2 = -1, best_shift = 0;
            best_split_s(xb, weight, order, scale, besti1, besti2, best_shift);
            if (besti1 < 0) throw std::domain_error("IQ1_S encoder: no split fits (ggml asserts here; all-zero importance over a group?)");
            assign_runs<kGroup>(order, besti1, besti2, L);
            if (scale < 0) {
                for (int j = 0; j < kGroup; ++j) L[j] = int8_t(2 - L[j]);
                scale = -scale;
                best_shift = -best_shift;
            }
            const float* xx = best_shift == 1 ? kPlus : kMinus;
            uint16_t index[kGroup / 8];
            scale = place_on_grid<kGroup>(s, xb, weight, scale, [xx](int) { return xx; }, L, index);
            uint16_t h = 0;
            for (int k = 0; k < kGroup / 8; ++k) {
                blk.qs[(kGroup / 8) * ib + k] = uint8_t(index[k] & 255);
                h = uint16_t(h | ((index[k] >> 8) << 3 * k));
            }
            qh[ib] = h;
            if (!(scale >= 0)) throw std::domain_error("IQ1_S encoder: no scale (ggml asserts here)");
            scales[ib] = scale;
            shifts[ib] = int8_t(best_shift);
            max_scale = max_scale > scale ? max_scale : scale;
        }
        if (max_scale != 0) {
            const float d = max_scale / 15;
            store_f16(blk.d, d * 1.125f);  // ggml's fudge factor
            const float id = 1 / d;
            for (int ib = 0; ib < QK_K / kGroup; ++ib) {
                int l = iq::clamp_c(nearest_int(0.5f * (id * scales[ib] - 1)), 0, 7);
                if (shifts[ib] == -1) l |= 8;
                qh[ib] = uint16_t(qh[ib] | (l << 12));
            }
        } else {
            store_f16(blk.d, 0.f);
        }
        std::memcpy(blk.qh, qh, sizeof qh);
        store_block(dst, ibl, blk);
    }
}

// IQ1_M: groups of 16, each half choosing its own shift (best_k: bit 1 the first half's, bit 0
// the second's, 0 = +), a 3-bit scale per group and the super-block scale refitted at the end,
// spread over the top nibbles of the four scale words.
__attribute__((target_clones("avx512f", "arch=x86-64-v3", "default"))) void iq1_m_row(const float* x, std::byte* dst, size_t n, const float* importance) {
    iq::require_finite(x, n, "IQ1_M");
    constexpr int kGroup = 16;
    constexpr float kGroupMaxEpsIq1M = 1e-7f;  // ggml's GROUP_MAX_EPS_IQ1_M
    constexpr uint8_t kMasks[4] = {0x00, 0x80, 0x08, 0x88};
    const Iq2Search& s = iq2_search(TensorType::IQ1_M);
    int8_t L[kGroup];
    std::memset(L, 1, sizeof L);
    int8_t shifts[QK_K / kGroup] = {};
    // The levels of half k (0, 1) of a group with shift code best_k.
    const auto levels = [](int best_k, int k) { return k == 0 ? (best_k < 2 ? kPlus : kMinus) : (best_k % 2 == 0 ? kPlus : kMinus); };
    for (size_t ibl = 0; ibl < n / QK_K; ++ibl) {
        BlockIQ1_M blk{};
        float scales[QK_K / kGroup];
        float max_scale = 0;
        const float* xbl = x + QK_K * ibl;
        const float sigma2 = sigma2_of(xbl);
        for (int ib = 0; ib < QK_K / kGroup; ++ib) {
            const float* xb = xbl + kGroup * ib;
            float weight[kGroup];
            group_weights(xb, importance ? importance + QK_K * ibl + kGroup * ib : nullptr, sigma2, kGroup, weight);
            const float max = abs_max(xb, kGroup);
            if (max < kGroupMaxEpsIq1M) {
                scales[ib] = 0;
                std::memset(L, 1, sizeof L);
                continue;
            }
            int order[kGroup];
            sorted_order<kGroup>(xb, order);
            float scale = max;
            int besti1 = -1, besti2 = -1, best_k = -1;
            best_split_m(xb, weight, order, scale, besti1, besti2, best_k);
            if (besti1 < 0) throw std::domain_error("IQ1_M encoder: no split fits (ggml asserts here; all-zero importance over a group?)");
            assign_runs<kGroup>(order, besti1, besti2, L);
            if (scale < 0) {
                for (int j = 0; j < kGroup; ++j) L[j] = int8_t(2 - L[j]);
                scale = -scale;
                best_k = 3 - best_k;  // ggml's 0↔3, 1↔2
            }
            uint16_t index[2];
            scale = place_on_grid<kGroup>(s, xb, weight, scale, [&](int k) { return levels(best_k, k); }, L, index);
            blk.qs[2 * ib + 0] = uint8_t(index[0] & 255);
            blk.qs[2 * ib + 1] = uint8_t(index[1] & 255);
            blk.qh[ib] = uint8_t((index[0] >> 8) | ((index[1] >> 8) << 4));
            if (!(scale >= 0)) throw std::domain_error("IQ1_M encoder: no scale (ggml asserts here)");
            scales[ib] = scale;
            shifts[ib] = int8_t(best_k);
            max_scale = max_scale > scale ? max_scale : scale;
        }
        if (max_scale != 0) {
            uint16_t sc[4] = {};
            float d = max_scale / 15;
            const float id = 1 / d;
            float sumqx = 0, sumq2 = 0;  // the super-block scale refitted to the 3-bit group scales
            for (int ib = 0; ib < QK_K / kGroup; ++ib) {
                const int l = iq::clamp_c(nearest_int(0.5f * (id * scales[ib] - 1)), 0, 7);
                sc[ib / 4] = uint16_t(sc[ib / 4] | (l << 3 * (ib % 4)));
                blk.qh[ib] = uint8_t(blk.qh[ib] | kMasks[shifts[ib]]);
                const float* xb = xbl + kGroup * ib;
                float weight[kGroup];
                group_weights(xb, importance ? importance + QK_K * ibl + kGroup * ib : nullptr, sigma2, kGroup, weight);
                for (int k = 0; k < 2; ++k) {
                    const float* xx = levels(shifts[ib], k);
                    const uint64_t pg = s.grid[size_t(blk.qs[2 * ib + k] + ((blk.qh[ib] << (8 - 4 * k)) & 0x700))];
                    for (int j = 0; j < 8; ++j) {
                        const float w = weight[8 * k + j];
                        const float q = xx[(Iq2Search::value(pg, j) - 1) / 2] * float(2 * l + 1);
                        sumqx += w * q * xb[8 * k + j];
                        sumq2 += w * q * q;
                    }
                }
            }
            if (sumq2 > 0) d = sumqx / sumq2;
            const uint16_t bits = f32_to_f16(d * 1.1125f);  // ggml's fudge factor
            sc[0] = uint16_t(sc[0] | ((bits & 0x000f) << 12));
            sc[1] = uint16_t(sc[1] | ((bits & 0x00f0) << 8));
            sc[2] = uint16_t(sc[2] | ((bits & 0x0f00) << 4));
            sc[3] = uint16_t(sc[3] | (bits & 0xf000));
            std::memcpy(blk.scales, sc, sizeof sc);
        }
        store_block(dst, ibl, blk);
    }
}

}  // namespace

void encode_iq1_s_weighted(const float* row, std::byte* dst, size_t n_per_row, const float* weights) { iq1_s_row(row, dst, n_per_row, weights); }
void encode_iq1_m(const float* src, std::byte* dst, size_t n_blocks) { iq1_m_row(src, dst, n_blocks * QK_K, nullptr); }
void encode_iq1_m_weighted(const float* row, std::byte* dst, size_t n_per_row, const float* weights) { iq1_m_row(row, dst, n_per_row, weights); }

}  // namespace qframe::codec
