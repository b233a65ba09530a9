// IQ4_NL and IQ4_XS: 4-bit indices into ggml's non-linear grid kvalues_iq4nl, a scale per 32
// values (IQ4_NL: an F16 scale per block of 32; IQ4_XS: a 6-bit scale per 32 times an F16 scale
// per super-block of 256). Byte j of a 32-value group holds value j in its low nibble and value
// j + 16 in its high nibble, as in Q4_0.
//
// The encoders are ggml's quantize_row_iq4_nl_impl as quantize_iq4_nl / quantize_iq4_xs run it,
// which is what llama-quantize runs with and without an importance matrix (15 trial scales per
// group). ggml's quantize_row_iq4_nl_ref (from_float_ref) tries none; no tool writes files with
// it, so it is not reproduced. Every float operation is in ggml's order (built with
// -ffp-contract=off, see CMakeLists.txt).

#include <cmath>
#include <cstdint>
#include <cstring>

#include "codec/block_io.hpp"
#include "codec/float_to_int.hpp"
#include "codec/iq_grids.hpp"
#include "codec/kernels.hpp"

namespace qframe::codec {
namespace {

constexpr int kGroup = 32;  // values per scale in both types
constexpr int kTrials = 7;  // ggml's ntry: scales (t - 127) / max for t in -7..7 are tried

// ggml's best_index_int8: the grid index nearest to x (the lower one on a tie; NaN gives 15).
inline int nearest_index(float x) {
    const int8_t* val = kKvaluesIq4nl.data();
    constexpr int n = int(kKvaluesIq4nl.size());
    if (x <= float(val[0])) return 0;
    if (x >= float(val[n - 1])) return n - 1;
    int ml = 0, mu = n - 1;
    while (mu - ml > 1) {
        const int mav = (ml + mu) / 2;
        if (x < float(val[mav])) mu = mav;
        else ml = mav;
    }
    return x - float(val[mu - 1]) < float(val[mu]) - x ? mu - 1 : mu;
}

// 16 floats or ints: one lane per trial scale (GCC's vector extensions; the clones below pick
// AVX-512, AVX2 or SSE2 code for them).
using Lanes = float __attribute__((vector_size(64)));
using LaneInts = int32_t __attribute__((vector_size(64)));

// nearest_index in every lane, with the same float operations: the binary search's bracket
// val[ml] <= x < val[ml + 1] is the count of grid values <= x, then the same comparison of the
// two differences; x <= val[0] gives 0, x >= val[15] and NaN give 15.
// (By reference: a 64-byte vector passed by value would take another ABI in each clone.)
[[gnu::always_inline]] inline void nearest_indices(const Lanes& x, const Lanes& grid, LaneInts& l) {
    LaneInts ml = LaneInts{} + 0;
    for (int i = 1; i < 15; ++i) ml -= x >= grid[i];  // a true comparison is −1
    const Lanes lo = __builtin_shuffle(grid, ml), hi = __builtin_shuffle(grid, ml + 1);
    l = x - lo < hi - x ? ml : ml + 1;
    l = x >= grid[15] ? LaneInts{} + 15 : l;
    l = x <= grid[0] ? LaneInts{} + 0 : l;
    l = x != x ? LaneInts{} + 15 : l;
}

// The weighted least-squares scale of one group of 32 over the trial scales; indices in L.
// Returns 0 for a group below GROUP_MAX_EPS (L untouched, as ggml leaves it). ggml tries the
// scales one after another, each a sequential sum over the group; here the 16 (the first guess in
// lane 15, the 15 trials in lanes 0 … 14) run side by side, each lane's sums in ggml's order, and
// the trials are then compared in ggml's order.
__attribute__((target_clones("avx512f", "arch=x86-64-v3", "default"))) float fit_group(const float* xb, const float* weight, uint8_t* L) {
    float amax = 0, max = 0;
    for (int j = 0; j < kGroup; ++j) {
        const float ax = std::fabs(xb[j]);
        if (ax > amax) {
            amax = ax;
            max = xb[j];
        }
    }
    if (amax < kGroupMaxEps) return 0.0f;
    Lanes grid;
    for (int i = 0; i < 16; ++i) grid[i] = float(kKvaluesIq4nl[size_t(i)]);
    const float v0 = grid[0];
    const float d0 = -max / v0;
    Lanes id;
    for (int t = 0; t < 2 * kTrials + 1; ++t) id[t] = (float(t - kTrials) + v0) / max;
    id[15] = 1 / d0;
    Lanes sumqx = Lanes{} + 0.0f, sumq2 = Lanes{} + 0.0f;
    for (int j = 0; j < kGroup; ++j) {
        const Lanes x = id * xb[j];
        LaneInts l;
        nearest_indices(x, grid, l);
        L[j] = uint8_t(l[15]);
        const Lanes q = __builtin_shuffle(grid, l);
        const Lanes w = Lanes{} + weight[j];
        sumqx += w * q * xb[j];
        sumq2 += w * q * q;
    }
    float d = sumqx[15] / sumq2[15];
    float best = d * sumqx[15];
    for (int t = 0; t < 2 * kTrials + 1; ++t)
        if (sumq2[t] > 0 && sumqx[t] * sumqx[t] > best * sumq2[t]) {
            d = sumqx[t] / sumq2[t];
            best = d * sumqx[t];
        }
    return d;
}

// Each value's weight: its column's importance times sqrt(sigma2 + x²), or x² without one.
void weigh(const float* xb, const float* importance, float sigma2, float* weight) {
    if (importance)
        for (int j = 0; j < kGroup; ++j) weight[j] = importance[j] * std::sqrt(sigma2 + xb[j] * xb[j]);
    else
        for (int j = 0; j < kGroup; ++j) weight[j] = xb[j] * xb[j];
}

// 2 × sum of squares / n: ggml computes it even where no importance uses it.
float sigma2_of(const float* x, int n) {
    float s = 0;
    for (int j = 0; j < n; ++j) s += x[j] * x[j];
    return s * (2.f / float(n));
}

// Nibbles: value j and j + 16 of each group of 32 share byte j.
void pack_nibbles(const uint8_t* L, int n, uint8_t* qs) {
    for (int i = 0; i < n / kGroup; ++i)
        for (int j = 0; j < 16; ++j) qs[16 * i + j] = uint8_t(L[32 * i + j] | (L[32 * i + 16 + j] << 4));
}

BlockIQ4_NL encode_iq4_nl_block(const float* x, const float* importance) {
    BlockIQ4_NL blk{};
    uint8_t L[kGroup] = {};
    float weight[kGroup];
    weigh(x, importance, sigma2_of(x, kGroup), weight);
    const float d = fit_group(x, weight, L);
    store_f16(blk.d, d);
    // ggml requantizes the single group at the stored scale's float value (not its F16 rounding).
    const float id = d != 0 ? 1 / d : 0;
    for (int j = 0; j < kGroup; ++j) L[j] = uint8_t(nearest_index(id * x[j]));
    pack_nibbles(L, kGroup, blk.qs);
    return blk;
}

BlockIQ4_XS encode_iq4_xs_block(const float* x, const float* importance) {
    constexpr int n_groups = QK_K / kGroup;
    BlockIQ4_XS blk{};
    uint8_t L[QK_K] = {};
    float weight[kGroup];
    float scales[n_groups];
    const float sigma2 = sigma2_of(x, QK_K);
    float max_scale = 0, amax_scale = 0;
    for (int ib = 0; ib < n_groups; ++ib) {
        const float* xb = x + ib * kGroup;
        weigh(xb, importance ? importance + ib * kGroup : nullptr, sigma2, weight);
        scales[ib] = fit_group(xb, weight, L + ib * kGroup);
        const float abs_d = std::fabs(scales[ib]);
        if (abs_d > amax_scale) {
            amax_scale = abs_d;
            max_scale = scales[ib];
        }
    }
    // The group scales as 6-bit multiples (-32..31) of one F16 super-block scale; the indices
    // are then chosen again for the scale each group ends up with.
    const float d = -max_scale / 32;
    store_f16(blk.d, d);
    const float id = d != 0 ? 1 / d : 0.f;
    uint16_t scales_h = 0;
    for (int ib = 0; ib < n_groups; ++ib) {
        int l = nearest_int(id * scales[ib]);
        l = l < -32 ? -32 : l > 31 ? 31 : l;  // ggml's MAX(-32, MIN(31, l))
        const float dl = d * float(l);
        const float idl = dl != 0 ? 1 / dl : 0.f;
        for (int j = 0; j < kGroup; ++j) L[ib * kGroup + j] = uint8_t(nearest_index(idl * x[ib * kGroup + j]));
        l += 32;
        const auto low = uint8_t(l & 0xf), high = uint8_t(l >> 4);
        if (ib % 2 == 0) blk.scales_l[ib / 2] = low;
        else blk.scales_l[ib / 2] |= uint8_t(low << 4);
        scales_h = uint16_t(scales_h | (high << 2 * (ib % 8)));
    }
    std::memcpy(blk.scales_h, &scales_h, 2);
    pack_nibbles(L, QK_K, blk.qs);
    return blk;
}

// One group's 32 values at scale dl.
inline void decode_group(const uint8_t* qs, float dl, float* y) {
    for (int j = 0; j < 16; ++j) {
        y[j] = dl * float(kKvaluesIq4nl[qs[j] & 0xf]);
        y[j + 16] = dl * float(kKvaluesIq4nl[qs[j] >> 4]);
    }
}

}  // namespace

void decode_iq4_nl(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t i = 0; i < n_blocks; ++i) {
        const auto blk = load_block<BlockIQ4_NL>(src, i);
        decode_group(blk.qs, load_f16(blk.d), dst + i * QK);
    }
}

void decode_iq4_xs(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t i = 0; i < n_blocks; ++i) {
        const auto blk = load_block<BlockIQ4_XS>(src, i);
        const float d = load_f16(blk.d);
        uint16_t scales_h;
        std::memcpy(&scales_h, blk.scales_h, 2);
        for (int ib = 0; ib < QK_K / kGroup; ++ib) {
            const int ls = ((blk.scales_l[ib / 2] >> 4 * (ib % 2)) & 0xf) | (((scales_h >> 2 * ib) & 3) << 4);
            decode_group(blk.qs + 16 * ib, d * float(ls - 32), dst + i * QK_K + size_t(ib) * kGroup);
        }
    }
}

void encode_iq4_nl(const float* src, std::byte* dst, size_t n_blocks) {
    for (size_t i = 0; i < n_blocks; ++i) store_block(dst, i, encode_iq4_nl_block(src + i * QK, nullptr));
}

void encode_iq4_xs(const float* src, std::byte* dst, size_t n_blocks) {
    for (size_t i = 0; i < n_blocks; ++i) store_block(dst, i, encode_iq4_xs_block(src + i * QK_K, nullptr));
}

void encode_iq4_nl_weighted(const float* row, std::byte* dst, size_t n_per_row, const float* weights) {
    for (size_t i = 0; i < n_per_row / QK; ++i) store_block(dst, i, encode_iq4_nl_block(row + i * QK, weights + i * QK));
}

void encode_iq4_xs_weighted(const float* row, std::byte* dst, size_t n_per_row, const float* weights) {
    for (size_t i = 0; i < n_per_row / QK_K; ++i) store_block(dst, i, encode_iq4_xs_block(row + i * QK_K, weights + i * QK_K));
}

}  // namespace qframe::codec
