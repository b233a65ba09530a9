// Private to the IQ encoders (iq1_encode.cpp, iq2_encode.cpp, iq3_encode.cpp): the steps ggml's
// quantize_row_iq*_impl share, each float operation in ggml's order.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "codec/float_to_int.hpp"
#include "codec/iq_search.hpp"

namespace qframe::codec::iq {

inline int clamp_c(int l, int lo, int hi) { return l < lo ? lo : l > hi ? hi : l; }  // C's MAX(lo, MIN(hi, l))

// The largest of n values as C's MAX(a, b) folds them (a NaN never wins after the first).
inline float max_of(const float* v, int n) {
    float max = v[0];
    for (int i = 1; i < n; ++i) max = max > v[i] ? max : v[i];
    return max;
}

// The IQ searches have no answer for infinities and NaNs (ggml asserts, or reads out of bounds):
// a row holding one is refused before any work, as every input these encoders cannot take is
// (std::domain_error).
inline void require_finite(const float* x, size_t n, const char* type) {
    for (size_t i = 0; i < n; ++i)
        if (!std::isfinite(x[i]))
            throw std::domain_error(std::string(type) + " encoder: value " + std::to_string(i) + " of the row is not finite");
}

inline float sum_of_squares(const float* x, int n) {
    float s = 0;
    for (int i = 0; i < n; ++i) s += x[i] * x[i];
    return s;
}

// Each value's weight: its column's importance times sqrt(sigma2 + x²); and its square root
// (the neighbour searches' weight) where `root` is given.
inline void importance_weights(const float* xb, const float* importance, float sigma2, int n, float* weight, float* root) {
    for (int i = 0; i < n; ++i) weight[i] = importance[i] * std::sqrt(sigma2 + xb[i] * xb[i]);
    if (root)
        for (int i = 0; i < n; ++i) root[i] = std::sqrt(weight[i]);
}

// |x| into xval and the signs, one bit per value, 8 values per byte.
template <int N>
void split_signs(const float* xb, float* xval, uint8_t* signs) {
    for (int k = 0; k < N / 8; ++k) {
        uint8_t s = 0;
        for (int i = 0; i < 8; ++i) {
            if (xb[8 * k + i] >= 0) xval[8 * k + i] = xb[8 * k + i];
            else {
                xval[8 * k + i] = -xb[8 * k + i];
                s = uint8_t(s | (1 << i));
            }
        }
        signs[k] = s;
    }
}

// The same with 7 sign bits per 8 values, the 8th implied by an even count: where the count is
// odd, the value with the least weight·x² is flipped (its magnitude stored negative).
template <int N>
void split_even_signs(const float* xb, const float* weight, float* xval, uint8_t* signs) {
    split_signs<N>(xb, xval, signs);
    for (int k = 0; k < N / 8; ++k) {
        int nflip = 0;
        for (int i = 0; i < 8; ++i) nflip += (signs[k] >> i) & 1;
        if (nflip % 2) {
            int imin = 0;
            float min = weight[8 * k + imin] * xb[8 * k + imin] * xb[8 * k + imin];
            for (int i = 1; i < 8; ++i) {
                const float ax = weight[8 * k + i] * xb[8 * k + i] * xb[8 * k + i];
                if (ax < min) {
                    min = ax;
                    imin = i;
                }
            }
            xval[8 * k + imin] = -xval[8 * k + imin];
            signs[k] = uint8_t(signs[k] ^ (1 << imin));
        }
        signs[k] &= 127;
    }
}

// The code of Dim magnitudes at inverse scale id: l = round((id·x - 1)/2) in 0 … kmax-1, each in
// Bits bits (codes into L when given).
template <class Search>
uint32_t code_of(const float* xval, float id, int kmax, int8_t* L) {
    uint32_t u = 0;
    for (int i = 0; i < Search::kDim; ++i) {
        const int l = clamp_c(nearest_int(0.5f * (id * xval[i] - 1)), 0, kmax - 1);
        if (L) L[i] = int8_t(l);
        u |= uint32_t(l) << Search::kBits * i;
    }
    return u;
}

// iq2/iq3_find_best_neighbour: the listed neighbour of off-grid code u nearest in weighted
// distance at `scale`; its codes into L. Returns its grid index.
// (Inlined, so it runs in the caller's instruction set: the hot callers are target_clones.)
template <class Search>
[[gnu::always_inline]] inline int best_neighbour(const Search& s, uint32_t u, const float* xval, const float* weight, float scale, int8_t* L) {
    const auto list = s.neighbours_of(u);
    const int best = nearest_listed<Search::kDim>(s.values_of(u), Search::padded(list.size() - 1), xval, weight, scale);
    if (best < 0) throw std::domain_error("IQ encoder: no neighbour nearer than FLT_MAX (non-finite input?)");
    const int grid_index = list[size_t(best) + 1];
    for (int i = 0; i < Search::kDim; ++i) L[i] = int8_t((Search::value(s.grid[size_t(grid_index)], i) - 1) / 2);
    return grid_index;
}

// Candidates side by side, one per lane: trial scales, or IQ1's splits (GCC's vector extensions;
// the callers are target_clones, so these become AVX-512, AVX2 or SSE2 code).
inline constexpr int kLaneCount = 16;
using Lanes = float __attribute__((vector_size(4 * kLaneCount)));
using LaneInts = int32_t __attribute__((vector_size(4 * kLaneCount)));

// nearest_int in every lane (float_to_int.hpp): the same addition, the same bits. (Vectors by
// reference: a 64-byte vector passed or returned by value would take another ABI in each clone.)
[[gnu::always_inline]] inline void nearest_ints(const Lanes& f, LaneInts& l) {
    const Lanes v = f + 12582912.0f;
    l = ((LaneInts)v & 0x007fffff) - 0x00400000;
}

// For trials whose codes fell on the same off-grid point u, each at its own scale (one per
// lane): the position in u's list of the entry best_neighbour would pick, −1 where none is
// nearer than FLT_MAX. Each lane scans the entries in order with ggml's distance and its strict
// comparison, so each lane is that trial's own scan.
template <class Search>
[[gnu::always_inline]] inline void nearest_listed_per_trial(const Search& s, uint32_t u, const float* xval, const float* weight,
                                                            const Lanes& scale, LaneInts& best_at) {
    const size_t count = s.neighbours_of(u).size() - 1, padded = Search::padded(count);
    const float* v = s.values_of(u);
    Lanes best = Lanes{} + FLT_MAX;
    best_at = LaneInts{} - 1;
    for (size_t j = 0; j < count; ++j) {
        Lanes d2 = Lanes{} + 0.0f;
        for (int k = 0; k < Search::kDim; ++k) {
            const Lanes diff = scale * v[size_t(k) * padded + j] - xval[k];
            d2 += weight[k] * diff * diff;
        }
        const auto nearer = d2 < best;
        best = nearer ? d2 : best;
        best_at = nearer ? LaneInts{} + int32_t(j) : best_at;
    }
}

// The trial phase the IQ2 and IQ3 searches share. The 2·trials + 1 ≤ 31 trials of ggml's loop
// `for is in -trials … trials`: inverse scale id = (2·kmax − 1 + is·step) / max, scale 1/id; the N
// magnitudes coded at each trial (l = round((id·x − 1)/2) in 0 … kmax−1), each sub-group off the
// grid replaced by its best listed neighbour at the trial's scale; each trial's Σ w·x·q and Σ w·q²
// (q = 2l+1); then the trials compared in ggml's order — the last whose sumqx²/sumq2 beats every
// earlier one's wins. The winner's codes go into L, its on-grid flags into on_grid (when given)
// and its sumqx/sumq2 into scale; where no trial wins, all three are left as they were, as ggml
// leaves them.
//
// ggml tries the scales one after another; here they run side by side, one per lane, each lane's
// operations in ggml's order. A sub-group's codes change only a few times across the trials (its
// l grow with the inverse scale), so the trials that fell on the same off-grid point search its
// neighbour list together.
inline constexpr int kTrialSlots = 2 * kLaneCount;

template <class Search, int N>
[[gnu::always_inline]] inline void fit_trials(const Search& s, const float* xval, const float* weight, const float* waux, float max, int trials,
                                              float step, int kmax, int8_t* L_out, bool* on_grid_out, float& scale) {
    constexpr int kDim = Search::kDim, kGroups = N / kDim;
    const int n = 2 * trials + 1;
    // Past the last trial, slots with more of the same sequence (finite; never compared).
    alignas(64) float ids[kTrialSlots], this_scales[kTrialSlots];
    for (int t = 0; t < kTrialSlots; ++t) {
        ids[t] = (2 * kmax - 1 + float(t - trials) * step) / max;
        this_scales[t] = 1 / ids[t];
    }
    alignas(64) int8_t L[N][kTrialSlots];  // value i's code in trial t
    bool on_grid[kGroups][kTrialSlots];
    for (int k = 0; k < kGroups; ++k) {
        alignas(64) int32_t u[kTrialSlots];
        for (int b = 0; b < kTrialSlots; b += kLaneCount) {
            Lanes id;
            std::memcpy(&id, ids + b, sizeof id);
            LaneInts code = LaneInts{} + 0;
            for (int i = 0; i < kDim; ++i) {
                LaneInts l;
                nearest_ints(0.5f * (id * xval[kDim * k + i] - 1), l);
                l = l < 0 ? LaneInts{} + 0 : l;
                l = l > kmax - 1 ? LaneInts{} + (kmax - 1) : l;
                const auto bytes = __builtin_convertvector(l, int8_t __attribute__((vector_size(kLaneCount))));
                std::memcpy(&L[kDim * k + i][b], &bytes, sizeof bytes);
                code |= l << Search::kBits * i;
            }
            std::memcpy(u + b, &code, sizeof code);
        }
        for (int t = 0; t < n; ++t) on_grid[k][t] = s.map[uint32_t(u[t])] >= 0;
        // Each run of trials on the same off-grid point, up to a lane-width at a time.
        for (int t = 0; t < n;) {
            if (on_grid[k][t]) {
                ++t;
                continue;
            }
            int end = t + 1;
            while (end < n && end < t + kLaneCount && u[end] == u[t]) ++end;
            Lanes lane_scale = Lanes{} + 1.0f;
            std::memcpy(&lane_scale, this_scales + t, sizeof(float) * size_t(end - t));
            LaneInts at;
            nearest_listed_per_trial(s, uint32_t(u[t]), xval + kDim * k, waux + kDim * k, lane_scale, at);
            const auto list = s.neighbours_of(uint32_t(u[t]));
            for (int r = t; r < end; ++r) {
                if (at[r - t] < 0) throw std::domain_error("IQ encoder: no neighbour nearer than FLT_MAX (non-finite input?)");
                const auto point = s.grid[list[size_t(at[r - t]) + 1]];
                for (int i = 0; i < kDim; ++i) L[kDim * k + i][r] = int8_t((Search::value(point, i) - 1) / 2);
            }
            t = end;
        }
    }
    // Σ w·x·q and Σ w·q² per trial, in weighted_sums' order.
    alignas(64) float sumqx[kTrialSlots], sumq2[kTrialSlots];
    for (int b = 0; b < kTrialSlots; b += kLaneCount) {
        Lanes qx = Lanes{} + 0.0f, q2 = Lanes{} + 0.0f;
        for (int i = 0; i < N; ++i) {
            int8_t __attribute__((vector_size(kLaneCount))) codes;
            std::memcpy(&codes, &L[i][b], sizeof codes);
            const Lanes q = __builtin_convertvector(2 * __builtin_convertvector(codes, LaneInts) + 1, Lanes);
            const float w = weight[i];
            qx += w * xval[i] * q;
            q2 += w * q * q;
        }
        std::memcpy(sumqx + b, &qx, sizeof qx);
        std::memcpy(sumq2 + b, &q2, sizeof q2);
    }
    float best = 0;
    int chosen = -1;
    for (int t = 0; t < n; ++t) {
        if (sumq2[t] > 0 && sumqx[t] * sumqx[t] > best * sumq2[t]) {
            scale = sumqx[t] / sumq2[t];
            best = scale * sumqx[t];
            chosen = t;
        }
    }
    if (chosen < 0) return;
    for (int i = 0; i < N; ++i) L_out[i] = L[i][chosen];
    if (on_grid_out)
        for (int k = 0; k < kGroups; ++k) on_grid_out[k] = on_grid[k][chosen];
}

// The grid index of the point whose codes are L; ggml aborts ("Oops: found point … not on grid")
// where this throws.
template <class Search>
int grid_index_of(const Search& s, const int8_t* L) {
    uint32_t u = 0;
    for (int i = 0; i < Search::kDim; ++i) u |= uint32_t(L[i]) << Search::kBits * i;
    const int index = u < s.map.size() ? s.map[u] : -1;
    if (index < 0) throw std::domain_error("IQ encoder: a point off the grid (ggml aborts here; all-zero importance over a group?)");
    return index;
}

// Σ w·x·q and Σ w·q² for q = 2L+1.
template <int N>
void weighted_sums(const float* xval, const float* weight, const int8_t* L, float& sumqx, float& sumq2) {
    sumqx = sumq2 = 0;
    for (int i = 0; i < N; ++i) {
        const float w = weight[i];
        const float q = float(2 * L[i] + 1);
        sumqx += w * xval[i] * q;
        sumq2 += w * q * q;
    }
}

}  // namespace qframe::codec::iq
