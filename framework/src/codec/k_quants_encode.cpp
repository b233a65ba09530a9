// Q2_K … Q6_K encoders: ggml's quantize_row_q{2..6}_K_ref, which is also what llama-quantize
// runs for these types without an importance matrix (quantize_q4_K(..., NULL) and friends).
//
// Every float operation happens in ggml's order (this file is built with -ffp-contract=off), so
// the bytes are identical. The one liberty taken is *where* the work happens: ggml searches the
// scale of one sub-block at a time, while the searches below run 4 sub-blocks side by side in
// SIMD vectors, lane k being sub-block k (values transposed to x[i][k]). Within a lane, the
// sequence of operations is exactly ggml's; branches became per-lane selects. Q3_K's search,
// which moves one quant at a time, stays scalar.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <utility>

#include "codec/block_io.hpp"
#include "codec/k_scales.hpp"
#include "codec/kernels.hpp"

namespace qframe::codec {
namespace {

constexpr float kGroupMaxEps = 1e-15f;  // ggml's GROUP_MAX_EPS: below this a group is "all zero"

// ggml's nearest_int: adding 1.5 * 2^23 leaves round-half-even(f) in the low mantissa bits.
// Exact for |f| < 2^22; beyond that ggml (asserts compiled out) returns these same bits.
inline int nearest_int(float f) {
    const float v = f + 12582912.0f;
    return int(std::bit_cast<uint32_t>(v) & 0x007fffff) - 0x00400000;
}

inline int clamp_int(int v, int lo, int hi) { return std::max(lo, std::min(hi, v)); }

// ---- lanes: one GCC/Clang vector holds the same quantity for NL sub-blocks ----
//
// Plain loops over lanes were left scalar by GCC once fully unrolled, so the searches use vector
// types directly, 4 lanes (SSE2, the x86-64 baseline) at a time. Every operation is element-wise
// IEEE arithmetic, identical to the scalar one.
template <int NL>
struct Lanes {
    typedef float F __attribute__((vector_size(4 * NL)));
    typedef int32_t I __attribute__((vector_size(4 * NL)));
};

// Vector arguments of these helpers never cross a real call (they are forced inline), so GCC's
// note that AVX-sized vectors would be passed differently with AVX enabled does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

template <class F>
[[gnu::always_inline]] inline F load_lanes(const float* p) {
    F v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// nearest_int, lane-wise, with the same bit trick.
template <class F, class I = decltype(std::declval<F>() < std::declval<F>())>
[[gnu::always_inline]] inline I nearest_int_lanes(F f) {
    return (std::bit_cast<I>(f + 12582912.0f) & 0x007fffff) - 0x00400000;
}
template <class I>
[[gnu::always_inline]] inline I clamp_lanes(I v, int lo, int hi) {
    v = v > hi ? I{} + hi : v;
    return v < lo ? I{} + lo : v;
}
template <class F>
[[gnu::always_inline]] inline F abs_lanes(F v) {  // fabsf: clear the sign bit, NaNs included
    using I = decltype(v < v);
    return std::bit_cast<F>(std::bit_cast<I>(v) & 0x7fffffff);
}

// ---- make_qkx2_quants: quants 0..nmax with a scale and a (non-positive) min ----
//
// Start from min..max spread over 0..nmax, then try nstep + 1 slightly different spreads; for
// each, fit scale and min by weighted least squares and keep it if its weighted error (squared,
// or absolute with use_mad) is smaller. Quirk kept from ggml: a step that wins replaces `min`,
// and later steps measure from the new min. Returns scales and the_min = -min per lane.
// Lane k of value i is xs[i * stride + k]; results go to the same places.
template <int N>
void make_qkx2_4(const float* xs, const float* ws, int stride, int nmax, float rmin, float rdelta,
                 int nstep, bool use_mad, uint8_t* L_out, float* scale_out, float* the_min) {
    using F = Lanes<4>::F;
    using I = Lanes<4>::I;
    F x[N], w[N];
    for (int i = 0; i < N; ++i) {
        x[i] = load_lanes<F>(xs + i * stride);
        w[i] = load_lanes<F>(ws + i * stride);
    }
    F mn = x[0], mx = x[0], sum_w = w[0], sum_x = sum_w * x[0];
    for (int i = 1; i < N; ++i) {
        mn = x[i] < mn ? x[i] : mn;
        mx = x[i] > mx ? x[i] : mx;
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    const F zero = {};
    mn = mn > 0 ? zero : mn;
    const I flat = mx == mn;  // ggml returns early for these: all quants 0, scale 0

    F iscale = float(nmax) / (mx - mn);
    F scale = 1 / iscale;
    F best = zero;
    I L[N];
    for (int i = 0; i < N; ++i) {
        L[i] = clamp_lanes(nearest_int_lanes(iscale * (x[i] - mn)), 0, nmax);
        F diff = scale * __builtin_convertvector(L[i], F) + mn - x[i];
        diff = use_mad ? abs_lanes(diff) : diff * diff;
        best += w[i] * diff;
    }

    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + rdelta * float(is) + float(nmax)) / (mx - mn);
        F sum_l = zero, sum_l2 = zero, sum_xl = zero;
        I aux[N];
        for (int i = 0; i < N; ++i) {
            aux[i] = clamp_lanes(nearest_int_lanes(iscale * (x[i] - mn)), 0, nmax);
            const F l = __builtin_convertvector(aux[i], F);
            const F wl = w[i] * l;
            sum_l += wl;
            sum_l2 += wl * l;
            sum_xl += wl * x[i];
        }
        const F D = sum_w * sum_l2 - sum_l * sum_l;
        F this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
        F this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
        const I positive_min = this_min > 0;  // the min may not be positive: refit the scale alone
        this_scale = positive_min ? sum_xl / sum_l2 : this_scale;
        this_min = positive_min ? zero : this_min;
        F mad = zero;
        for (int i = 0; i < N; ++i) {
            F diff = this_scale * __builtin_convertvector(aux[i], F) + this_min - x[i];
            diff = use_mad ? abs_lanes(diff) : diff * diff;
            mad += w[i] * diff;
        }
        // ggml skips the step unless D > 0; computing it anyway is harmless.
        const I take = (D > 0) & (mad < best);
        best = take ? mad : best;
        scale = take ? this_scale : scale;
        mn = take ? this_min : mn;
        for (int i = 0; i < N; ++i) L[i] = take ? aux[i] : L[i];
    }

    // A flat lane never changed mn (every step had D == 0), so -mn is ggml's early answer.
    const F neg_min = -mn, final_scale = flat ? zero : scale;
    std::memcpy(the_min, &neg_min, sizeof neg_min);
    std::memcpy(scale_out, &final_scale, sizeof final_scale);
    for (int i = 0; i < N; ++i)
        for (int k = 0; k < 4; ++k) L_out[i * stride + k] = flat[k] ? 0 : uint8_t(L[i][k]);
}

// NL sub-blocks, 4 at a time (a 16-byte vector: what every x86-64 has).
template <int NL, int N>
void make_qkx2_lanes(const float (&x)[N][NL], const float (&w)[N][NL], int nmax, float rmin,
                     float rdelta, int nstep, bool use_mad, uint8_t (&L)[N][NL],
                     float (&scale)[NL], float (&the_min)[NL]) {
    static_assert(NL % 4 == 0);
    for (int g = 0; g < NL; g += 4)
        make_qkx2_4<N>(&x[0][g], &w[0][g], NL, nmax, rmin, rdelta, nstep, use_mad, &L[0][g],
                       &scale[g], &the_min[g]);
}

// ---- make_qx_quants with rmse_type 1 and no weights (Q6_K): symmetric quants -nmax..nmax-1 ----
//
// The largest magnitude maps to -nmax; then 18 nearby scales are tried and the one with the
// best x²-weighted least-squares fit is kept. Returns the scale; L holds quant + nmax
// (or 0 for an all-zero group, as in ggml).
template <int N>
void make_qx_4(const float* xs, int stride, int nmax, int8_t* L_out, float* scale_out) {
    using F = Lanes<4>::F;
    using I = Lanes<4>::I;
    const F zero = {};
    F x[N];
    F amax = zero, max = zero;
    for (int i = 0; i < N; ++i) {
        x[i] = load_lanes<F>(xs + i * stride);
        const F ax = abs_lanes(x[i]);
        const I bigger = ax > amax;
        amax = bigger ? ax : amax;
        max = bigger ? x[i] : max;
    }
    // Pass 0 is ggml's first guess (-nmax / max), passes 1..18 its loop over is = -9..9, is != 0.
    F scale = zero, best = zero;
    I L[N];
    for (int pass = 0; pass <= 18; ++pass) {
        const int is = pass <= 9 ? pass - 10 : pass - 9;
        const F iscale = pass == 0 ? float(-nmax) / max : -(float(nmax) + 0.1f * float(is)) / max;
        F sumlx = zero, suml2 = zero;
        I aux[N];
        for (int i = 0; i < N; ++i) {
            aux[i] = clamp_lanes(nearest_int_lanes(iscale * x[i]), -nmax, nmax - 1);
            const F l = __builtin_convertvector(aux[i], F);
            const F w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        const F s = sumlx / suml2;
        if (pass == 0) {
            scale = suml2 != 0 ? s : zero;
            best = scale * sumlx;
            for (int i = 0; i < N; ++i) L[i] = aux[i];
        } else {
            const I take = (suml2 > 0) & (sumlx * sumlx > best * suml2);
            scale = take ? s : scale;
            best = take ? s * sumlx : best;
            for (int i = 0; i < N; ++i) L[i] = take ? aux[i] : L[i];
        }
    }
    const I zero_group = amax < kGroupMaxEps;
    const F final_scale = zero_group ? zero : scale;
    std::memcpy(scale_out, &final_scale, sizeof final_scale);
    for (int i = 0; i < N; ++i)
        for (int k = 0; k < 4; ++k) L_out[i * stride + k] = zero_group[k] ? 0 : int8_t(L[i][k] + nmax);
}

template <int NL, int N>
void make_qx_lanes(const float (&x)[N][NL], int nmax, int8_t (&L)[N][NL], float (&scale)[NL]) {
    static_assert(NL % 4 == 0);
    for (int g = 0; g < NL; g += 4) make_qx_4<N>(&x[0][g], NL, nmax, &L[0][g], &scale[g]);
}

// ---- make_q3_quants with do_rmse (Q3_K): quants -nmax..nmax-1, stored + nmax ----
//
// First guess from the largest magnitude, then up to 5 rounds of moving single quants to
// whatever improves the x²-weighted fit. Sequential by nature; kept as ggml wrote it.
float make_q3_quants(const float* x, int nmax, int8_t* L) {
    constexpr int n = 16;
    float max = 0, amax = 0;
    for (int i = 0; i < n; ++i) {
        const float ax = std::fabs(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < kGroupMaxEps) {
        std::memset(L, 0, n);
        return 0.0f;
    }
    const float iscale = float(-nmax) / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
        L[i] = int8_t(l);
        const float w = x[i] * x[i];
        sumlx += w * x[i] * float(l);
        suml2 += w * float(l) * float(l);
    }
    for (int itry = 0; itry < 5; ++itry) {
        int n_changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = x[i] * x[i];
            float slx = sumlx - w * x[i] * float(L[i]);
            if (slx > 0) {
                float sl2 = suml2 - w * float(L[i]) * float(L[i]);
                const int new_l = clamp_int(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
                if (new_l != L[i]) {
                    slx += w * x[i] * float(new_l);
                    sl2 += w * float(new_l) * float(new_l);
                    if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = int8_t(new_l);
                        sumlx = slx;
                        suml2 = sl2;
                        ++n_changed;
                    }
                }
            }
        }
        if (!n_changed) break;
    }
    for (int i = 0; i < n; ++i) L[i] = int8_t(L[i] + nmax);
    return sumlx / suml2;
}

// Sub-block j of `x` (size N) transposed into lane j.
template <int NL, int N>
void transpose_in(const float* x, float (&xt)[N][NL]) {
    for (int i = 0; i < N; ++i)
        for (int k = 0; k < NL; ++k) xt[i][k] = x[N * k + i];
}
template <int NL, int N, class T>
void transpose_out(const T (&lt)[N][NL], T* L) {
    for (int i = 0; i < N; ++i)
        for (int k = 0; k < NL; ++k) L[N * k + i] = lt[i][k];
}

// Shared by Q4_K (nmax 15) and Q5_K (nmax 31): per 32-value sub-block a scale and a min from
// make_qkx2_quants (weights av_x + |x|, av_x the sub-block's RMS); those 8 scales and 8 mins are
// quantized to 6 bits against the largest of each, and the values are then requantized with
// the scales actually stored. Leaves the quants (0..nmax) in L and fills d, dmin and scales.
template <class Block>
void quantize_scale_min_k(const float* x, int nmax, float rmin, int nstep, Block& blk,
                          uint8_t L[QK_K]) {
    float xt[32][8], wt[32][8], sum_x2[8] = {};
    transpose_in(x, xt);
    for (int i = 0; i < 32; ++i)
        for (int k = 0; k < 8; ++k) sum_x2[k] += xt[i][k] * xt[i][k];
    for (int k = 0; k < 8; ++k) {
        const float av_x = std::sqrt(sum_x2[k] / 32);
        for (int i = 0; i < 32; ++i) wt[i][k] = av_x + std::fabs(xt[i][k]);
    }
    uint8_t lt[32][8];
    float scales[8], mins[8];
    make_qkx2_lanes(xt, wt, nmax, rmin, 0.1f, nstep, false, lt, scales, mins);
    transpose_out(lt, L);

    float max_scale = 0, max_min = 0;  // scales and mins are never negative
    for (int j = 0; j < 8; ++j) {
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
    const float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
    uint8_t ls[8], lm[8];
    for (int j = 0; j < 8; ++j) {
        // ggml stores nearest_int into a uint8_t before the MIN, so wrap first, then clamp.
        ls[j] = std::min<uint8_t>(63, uint8_t(nearest_int(inv_scale * scales[j])));
        lm[j] = std::min<uint8_t>(63, uint8_t(nearest_int(inv_min * mins[j])));
    }
    pack_scale_min_k4(blk.scales, ls, lm);
    store_f16(blk.d, max_scale / 63.0f);
    store_f16(blk.dmin, max_min / 63.0f);

    const float d_all = load_f16(blk.d), m_all = load_f16(blk.dmin);
    for (int j = 0; j < 8; ++j) {
        const auto [sc, m] = scale_min_k4(blk.scales, j);
        const float d = d_all * float(sc);
        if (d == 0) continue;  // keep make_qkx2_quants' quants, as ggml does
        const float dm = m_all * float(m);
        for (int i = 0; i < 32; ++i)
            L[32 * j + i] = uint8_t(clamp_int(nearest_int((x[32 * j + i] + dm) / d), 0, nmax));
    }
}

// Q2_K/Q3_K/Q6_K lay 4 groups of 32 quants out as 2-bit fields of 32 bytes (per 128 values).
void pack_2bit(const uint8_t L[QK_K], uint8_t qs[QK_K / 4]) {
    for (int j = 0; j < QK_K; j += 128)
        for (int l = 0; l < 32; ++l)
            qs[j / 4 + l] = uint8_t(L[j + l] | L[j + l + 32] << 2 | L[j + l + 64] << 4 | L[j + l + 96] << 6);
}

}  // namespace

void encode_q4_k(const float* src, std::byte* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, src += QK_K) {
        BlockQ4_K blk;
        uint8_t L[QK_K];
        quantize_scale_min_k(src, 15, -1.0f, 20, blk, L);
        // Sub-blocks 2c and 2c+1 share qs[32c ..): low and high nibble.
        for (int c = 0; c < 4; ++c)
            for (int l = 0; l < 32; ++l)
                blk.qs[32 * c + l] = uint8_t(L[64 * c + l] | L[64 * c + 32 + l] << 4);
        store_block(dst, b, blk);
    }
}

void encode_q5_k(const float* src, std::byte* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, src += QK_K) {
        BlockQ5_K blk;
        uint8_t L[QK_K];
        quantize_scale_min_k(src, 31, -0.5f, 15, blk, L);
        // Low 4 bits as Q4_K; the fifth bit of value l of sub-block s goes to bit s of qh[l].
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

// 16 groups of 16 with int8 scales: each group's scale from make_qx_quants, the scale of
// largest magnitude maps to -128, then values are requantized with the stored scales.
void encode_q6_k(const float* src, std::byte* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, src += QK_K) {
        BlockQ6_K blk;
        float xt[16][16];
        int8_t lt[16][16];
        int8_t L[QK_K];
        float scales[16];
        transpose_in(src, xt);
        make_qx_lanes(xt, 32, lt, scales);
        transpose_out(lt, L);

        float max_scale = 0, max_abs_scale = 0;
        for (int g = 0; g < 16; ++g) {
            const float a = std::fabs(scales[g]);
            if (a > max_abs_scale) {
                max_abs_scale = a;
                max_scale = scales[g];
            }
        }
        if (max_abs_scale < kGroupMaxEps) {  // the whole super-block is (nearly) zero
            std::memset(&blk, 0, sizeof blk);
            store_block(dst, b, blk);
            continue;
        }
        const float iscale = -128.0f / max_scale;
        store_f16(blk.d, 1 / iscale);
        for (int g = 0; g < 16; ++g)
            blk.scales[g] = int8_t(std::min(127, nearest_int(iscale * scales[g])));

        const float d_all = load_f16(blk.d);
        for (int g = 0; g < 16; ++g) {
            const float d = d_all * float(blk.scales[g]);
            if (d == 0) continue;
            for (int i = 0; i < 16; ++i)
                L[16 * g + i] = int8_t(clamp_int(nearest_int(src[16 * g + i] / d), -32, 31) + 32);
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
                qh[l] = uint8_t(q[l] >> 4 | (q[l + 32] >> 4) << 2 | (q[l + 64] >> 4) << 4 |
                                (q[l + 96] >> 4) << 6);
            }
        }
        store_block(dst, b, blk);
    }
}

// 16 groups of 16, 2-bit quants with a 4-bit scale and 4-bit min each (make_qkx2_quants with
// weights |x| and absolute error), scales and mins quantized against the largest of each.
void encode_q2_k(const float* src, std::byte* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, src += QK_K) {
        BlockQ2_K blk;
        float xt[16][16], wt[16][16];
        uint8_t lt[16][16];
        uint8_t L[QK_K];
        float scales[16], mins[16];
        transpose_in(src, xt);
        for (int i = 0; i < 16; ++i)
            for (int k = 0; k < 16; ++k) wt[i][k] = std::fabs(xt[i][k]);
        make_qkx2_lanes(xt, wt, 3, -0.5f, 0.1f, 15, true, lt, scales, mins);
        transpose_out(lt, L);

        float max_scale = 0, max_min = 0;
        for (int g = 0; g < 16; ++g) {
            if (scales[g] > max_scale) max_scale = scales[g];
            if (mins[g] > max_min) max_min = mins[g];
        }
        constexpr float q4scale = 15.0f;
        if (max_scale > 0) {
            const float iscale = q4scale / max_scale;
            for (int g = 0; g < 16; ++g) blk.scales[g] = uint8_t(nearest_int(iscale * scales[g]));
            store_f16(blk.d, max_scale / q4scale);
        } else {
            std::memset(blk.scales, 0, sizeof blk.scales);
            store_f16(blk.d, 0.0f);
        }
        if (max_min > 0) {
            const float iscale = q4scale / max_min;
            for (int g = 0; g < 16; ++g) blk.scales[g] |= uint8_t(nearest_int(iscale * mins[g]) << 4);
            store_f16(blk.dmin, max_min / q4scale);
        } else {
            store_f16(blk.dmin, 0.0f);
        }

        const float d_all = load_f16(blk.d), m_all = load_f16(blk.dmin);
        for (int g = 0; g < 16; ++g) {
            const float d = d_all * float(blk.scales[g] & 0x0f);
            if (d == 0) continue;
            const float dm = m_all * float(blk.scales[g] >> 4);
            for (int i = 0; i < 16; ++i)
                L[16 * g + i] = uint8_t(clamp_int(nearest_int((src[16 * g + i] + dm) / d), 0, 3));
        }
        pack_2bit(L, blk.qs);
        store_block(dst, b, blk);
    }
}

// 16 groups of 16, 3-bit signed quants (-4..3) with 6-bit signed scales (stored + 32) relative
// to the scale of largest magnitude, which maps to -32.
void encode_q3_k(const float* src, std::byte* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, src += QK_K) {
        BlockQ3_K blk;
        int8_t L[QK_K];
        float scales[16];
        float max_scale = 0, amax = 0;
        for (int g = 0; g < 16; ++g) {
            scales[g] = make_q3_quants(src + 16 * g, 4, L + 16 * g);
            const float a = std::fabs(scales[g]);
            if (a > amax) {
                amax = a;
                max_scale = scales[g];
            }
        }

        if (max_scale != 0) {
            const float iscale = -32.0f / max_scale;
            int stored[16];
            // ggml keeps nearest_int in an int8_t before clamping.
            for (int g = 0; g < 16; ++g)
                stored[g] = clamp_int(int8_t(nearest_int(iscale * scales[g])), -32, 31) + 32;
            pack_scales_q3_k(blk.scales, stored);
            store_f16(blk.d, 1 / iscale);
        } else {
            std::memset(blk.scales, 0, sizeof blk.scales);
            store_f16(blk.d, 0.0f);
        }

        const float d_all = load_f16(blk.d);
        for (int g = 0; g < 16; ++g) {
            const float d = d_all * float(scale_q3_k(blk.scales, g));
            if (d == 0) continue;
            for (int i = 0; i < 16; ++i)
                L[16 * g + i] = int8_t(clamp_int(nearest_int(src[16 * g + i] / d), -4, 3) + 4);
        }

        // The third bit of value j goes to bit j / 32 of hmask[j % 32]; the low 2 bits to qs.
        std::memset(blk.hmask, 0, sizeof blk.hmask);
        uint8_t low[QK_K];
        for (int j = 0; j < QK_K; ++j) {
            const bool high = L[j] > 3;
            if (high) blk.hmask[j % 32] |= uint8_t(1u << (j / 32));
            low[j] = uint8_t(high ? L[j] - 4 : L[j]);
        }
        pack_2bit(low, blk.qs);
        store_block(dst, b, blk);
    }
}

}  // namespace qframe::codec
