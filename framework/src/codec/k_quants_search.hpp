// Private to k_quants_encode.cpp: ggml's per-sub-block scale searches (make_qkx2_quants,
// make_qx_quants) run on W sub-blocks side by side, lane k of a W-float vector being sub-block k,
// plus the lane-wise requantization that follows them.
//
// Every operation is element-wise IEEE arithmetic, so each lane performs exactly ggml's sequence
// of float operations whatever W is; branches became per-lane selects. W = 4 is SSE2 (every
// x86-64); the AVX2 and AVX-512F encoders use W = 8 and 16. Everything here is always_inline: a
// function compiled for the default target would split 32- and 64-byte vectors into SSE halves,
// so these must be inlined into the target-attributed function that calls them.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <utility>

namespace qframe::codec::k_search {

// Plain loops over lanes were left scalar by GCC once fully unrolled, so the searches use GCC
// vector types directly.
template <int W>
struct Lanes {
    typedef float F __attribute__((vector_size(4 * W)));
    typedef int32_t I __attribute__((vector_size(4 * W)));
    typedef uint8_t U8 __attribute__((vector_size(W)));
};

// Vector arguments of these helpers never cross a real call (they are forced inline), so GCC's
// note that AVX-sized vectors would be passed differently with AVX enabled does not apply. (GCC
// emits it at the end of the including file, so the pragma cannot be popped.)
#pragma GCC diagnostic ignored "-Wpsabi"

template <class F>
[[gnu::always_inline]] inline F load_lanes(const float* p) {
    F v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// ggml's nearest_int, lane-wise: adding 1.5 * 2^23 leaves round-half-even(f) in the low mantissa
// bits (and, beyond 2^22, the same bits ggml returns with its asserts compiled out).
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

// Masks (a comparison's all ones or all zeros per lane) and selects under them, as vectors and
// bit operations. GCC 12 blends 64-byte vectors well only under a comparison it still holds in a
// mask register; a mask kept in a vector, or combined with another, it often turned into scalar
// compares and lane-by-lane selects. The empty asm makes every mask a vector once, so that the
// bit operations below are not folded back into such selects. (GCC only: clang checks the asm
// operand against the caller-less template's target, which has no 64-byte registers.)
template <class M>
[[gnu::always_inline]] inline M as_mask(M comparison) {
#if !defined(__clang__)
    if constexpr (sizeof(M) == 64) asm("" : "+v"(comparison));
#endif
    return comparison;
}
template <class M, class V>
[[gnu::always_inline]] inline V select_lanes(M mask, V a, V b) {
    return std::bit_cast<V>((mask & std::bit_cast<M>(a)) | (~mask & std::bit_cast<M>(b)));
}

// The low byte of each lane (the integer casts ggml makes when it stores a quant). Through 16 bits:
// GCC 12 turns a direct 32 -> 8 bit conversion of 16 lanes into byte inserts.
template <int W>
[[gnu::always_inline]] inline void store_low_bytes(typename Lanes<W>::I v, uint8_t* p) {
    typedef int16_t I16 __attribute__((vector_size(2 * W)));
    const auto bytes = __builtin_convertvector(__builtin_convertvector(v, I16), typename Lanes<W>::U8);
    std::memcpy(p, &bytes, W);
}

// ---- make_qkx2_quants: quants 0..nmax with a scale and a (non-positive) min ----
//
// Start from min..max spread over 0..nmax, then try nstep + 1 slightly different spreads; for
// each, fit scale and min by weighted least squares and keep it if its weighted error (squared,
// or absolute with use_mad) is smaller. Quirk kept from ggml: a step that wins replaces `min`,
// and later steps measure from the new min. Returns scales and the_min = -min per lane.
// Lane k of value i is xs[i * stride + k]; results go to the same places.
template <int W, int N>
[[gnu::always_inline]] inline void make_qkx2(const float* xs, const float* ws, int stride, int nmax,
                                             float rmin, float rdelta, int nstep, bool use_mad,
                                             uint8_t* L_out, float* scale_out, float* the_min) {
    using F = typename Lanes<W>::F;
    using I = typename Lanes<W>::I;
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
    const I flat = as_mask(mx == mn);  // ggml returns early for these: all quants 0, scale 0

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
        const I positive_min = as_mask(this_min > 0);  // the min may not be positive: refit the scale alone
        this_scale = select_lanes(positive_min, sum_xl / sum_l2, this_scale);
        this_min = select_lanes(positive_min, zero, this_min);
        F mad = zero;
        for (int i = 0; i < N; ++i) {
            F diff = this_scale * __builtin_convertvector(aux[i], F) + this_min - x[i];
            diff = use_mad ? abs_lanes(diff) : diff * diff;
            mad += w[i] * diff;
        }
        // ggml skips the step unless D > 0; computing it anyway is harmless.
        const I take = as_mask(D > 0) & as_mask(mad < best);
        best = select_lanes(take, mad, best);
        scale = select_lanes(take, this_scale, scale);
        mn = select_lanes(take, this_min, mn);
        for (int i = 0; i < N; ++i) L[i] = select_lanes(take, aux[i], L[i]);
    }

    // A flat lane never changed mn (every step had D == 0), so -mn is ggml's early answer.
    const F neg_min = -mn, final_scale = select_lanes(flat, zero, scale);
    std::memcpy(the_min, &neg_min, sizeof neg_min);
    std::memcpy(scale_out, &final_scale, sizeof final_scale);
    for (int i = 0; i < N; ++i) store_low_bytes<W>(L[i] & ~flat, L_out + i * stride);
}

// NL sub-blocks, W at a time.
template <int W, int NL, int N>
[[gnu::always_inline]] inline void make_qkx2_lanes(const float (&x)[N][NL], const float (&w)[N][NL], int nmax,
                                                   float rmin, float rdelta, int nstep, bool use_mad,
                                                   uint8_t (&L)[N][NL], float (&scale)[NL],
                                                   float (&the_min)[NL]) {
    static_assert(NL % W == 0);
    for (int g = 0; g < NL; g += W)
        make_qkx2<W, N>(&x[0][g], &w[0][g], NL, nmax, rmin, rdelta, nstep, use_mad, &L[0][g],
                        &scale[g], &the_min[g]);
}

// ---- make_qx_quants with rmse_type 1 and no weights (Q6_K): symmetric quants -nmax..nmax-1 ----
//
// The largest magnitude maps to -nmax; then 18 nearby scales are tried and the one with the
// best x²-weighted least-squares fit is kept. Returns the scale; L holds quant + nmax
// (or 0 for an all-zero group, as in ggml).
template <int W, int N>
[[gnu::always_inline]] inline void make_qx(const float* xs, int stride, int nmax, float group_max_eps,
                                           int8_t* L_out, float* scale_out) {
    using F = typename Lanes<W>::F;
    using I = typename Lanes<W>::I;
    const F zero = {};
    F x[N];
    F amax = zero, max = zero;
    for (int i = 0; i < N; ++i) {
        x[i] = load_lanes<F>(xs + i * stride);
        const F ax = abs_lanes(x[i]);
        const I bigger = as_mask(ax > amax);
        amax = select_lanes(bigger, ax, amax);
        max = select_lanes(bigger, x[i], max);
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
            const I take = as_mask(suml2 > 0) & as_mask(sumlx * sumlx > best * suml2);
            scale = select_lanes(take, s, scale);
            best = select_lanes(take, s * sumlx, best);
            for (int i = 0; i < N; ++i) L[i] = select_lanes(take, aux[i], L[i]);
        }
    }
    const I zero_group = as_mask(amax < group_max_eps);
    const F final_scale = select_lanes(zero_group, zero, scale);
    std::memcpy(scale_out, &final_scale, sizeof final_scale);
    for (int i = 0; i < N; ++i)
        store_low_bytes<W>((L[i] + nmax) & ~zero_group, reinterpret_cast<uint8_t*>(L_out + i * stride));
}

template <int W, int NL, int N>
[[gnu::always_inline]] inline void make_qx_lanes(const float (&x)[N][NL], int nmax, float group_max_eps,
                                                 int8_t (&L)[N][NL], float (&scale)[NL]) {
    static_assert(NL % W == 0);
    for (int g = 0; g < NL; g += W) make_qx<W, N>(&x[0][g], NL, nmax, group_max_eps, &L[0][g], &scale[g]);
}

// ---- requantization with the stored scales ----
//
// n values (a multiple of W): L[i] = clamp(nearest_int((x[i] + dm) / d), lo, hi) + offset,
// ggml's expression for Q2_K/Q4_K/Q5_K (AddMin, offset 0) and Q6_K (x[i] / d, offset 32).
template <int W, bool AddMin>
[[gnu::always_inline]] inline void requantize(const float* x, int n, float dm, float d, int lo, int hi,
                                              int offset, uint8_t* L) {
    using F = typename Lanes<W>::F;
    for (int i = 0; i < n; i += W) {
        F v = load_lanes<F>(x + i);
        if constexpr (AddMin) v += dm;
        store_low_bytes<W>(clamp_lanes(nearest_int_lanes(v / d), lo, hi) + offset, L + i);
    }
}

}  // namespace qframe::codec::k_search
