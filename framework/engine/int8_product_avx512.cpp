// The quantized-domain kernels for AVX-512 VNNI (compiled with -mavx512vnni; int8_product.cpp
// calls them only where the CPU has it). A tile is the panel's 16 rows (one zmm lane each)
// against T tokens: vpdpbusd adds 4 code products of every row per instruction, with the token's
// 4 codes broadcast, so each result lane is one row's dot product and nothing is summed across
// lanes. Integer sums are exact, as ggml's; scales are applied in float once per block (Q8_0,
// Q4_0) or super-block (K-quants).
// GCC 12 warns inside its own _mm512_cvtepi32_ps (an intentionally undefined pass-through operand).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstring>

#include "int8_kernel.hpp"

namespace qframe::engine::int8 {
namespace {

inline __m512i broadcast4(const int8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

inline __m512i broadcast_pair(const int16_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

// Q4_0 (Q8_0 activations): per block of 32, acc = Σ w·x − 8·Σx (exact), then
// y += (d_w · d_x) · acc.
template <int T>
void tile_block_sums(const PanelData& p, const ActivationData& x, size_t t0, __mmask16 mask, float* y, size_t ldy) {
    const size_t n = x.n, blocks = n / 32;
    __m512 acc[T];
    for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
    for (size_t b = 0; b < blocks; ++b) {
        __m512i dot[T];
        for (int t = 0; t < T; ++t) {
            const int16_t* s = x.sums + (t0 + t) * (n / 16) + 2 * b;
            dot[t] = _mm512_set1_epi32(-p.offset * (s[0] + s[1]));
        }
        for (size_t i = 0; i < 32; i += 4) {
            const __m512i w = _mm512_loadu_si512(p.w + (b * 32 + i) * 16);
            for (int t = 0; t < T; ++t) dot[t] = _mm512_dpbusd_epi32(dot[t], w, broadcast4(x.q + (t0 + t) * n + b * 32 + i));
        }
        const __m512 dw = _mm512_loadu_ps(p.d + b * kRows);
        for (int t = 0; t < T; ++t) {
            const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(x.d[(t0 + t) * blocks + b]));
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[t]), scale, acc[t]);
        }
    }
    for (int t = 0; t < T; ++t) _mm512_mask_storeu_ps(y + (t0 + t) * ldy, mask, acc[t]);
}

// Q8_0, Q5_0 (Q8_0 activations) and Q4_1, Q5_1 (Q8_1): ggml's 8 float lanes per row and token
// (int8_kernel.hpp's float_lanes). Lane l's integer is one vpdpbusd, Σ (w − offset)·x over
// values 4l…4l+3 of the block, started at −offset · (their x sum); Qx_1 add m_w · s_x apart.
template <int T, bool Min>
void tile_lanes(const PanelData& p, const ActivationData& x, size_t t0, __mmask16 mask, float* y, size_t ldy) {
    const size_t n = x.n, blocks = n / 32;
    __m512 acc[T][8], mins[T];
    for (int t = 0; t < T; ++t) {
        mins[t] = _mm512_setzero_ps();
        for (int l = 0; l < 8; ++l) acc[t][l] = _mm512_setzero_ps();
    }
    alignas(32) int32_t start[T][8];
    for (size_t b = 0; b < blocks; ++b) {
        const __m512 dw = _mm512_loadu_ps(p.d + b * kRows);
        __m512 scale[T];
        for (int t = 0; t < T; ++t) {
            scale[t] = _mm512_mul_ps(dw, _mm512_set1_ps(x.d[(t0 + t) * blocks + b]));
            if constexpr (!Min) {
                const __m256i sums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.sums4 + (t0 + t) * (n / 4) + b * 8));
                _mm256_store_si256(reinterpret_cast<__m256i*>(start[t]), _mm256_mullo_epi32(sums, _mm256_set1_epi32(-p.offset)));
            }
        }
        for (int l = 0; l < 8; ++l) {
            const __m512i w = _mm512_loadu_si512(p.w + (b * 32 + 4 * l) * 16);
            for (int t = 0; t < T; ++t) {
                const __m512i from = Min ? _mm512_setzero_si512() : _mm512_set1_epi32(start[t][l]);
                const __m512i dot = _mm512_dpbusd_epi32(from, w, broadcast4(x.q + (t0 + t) * n + b * 32 + 4 * l));
                acc[t][l] = _mm512_fmadd_ps(scale[t], _mm512_cvtepi32_ps(dot), acc[t][l]);
            }
        }
        if constexpr (Min) {
            const __m512 m = _mm512_loadu_ps(p.dmin + b * kRows);
            for (int t = 0; t < T; ++t) mins[t] = _mm512_fmadd_ps(m, _mm512_set1_ps(x.s[(t0 + t) * blocks + b]), mins[t]);
        }
    }
    for (int t = 0; t < T; ++t) {
        const __m512* a = acc[t];
        const __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a[0], a[4]), _mm512_add_ps(a[2], a[6])),
                                         _mm512_add_ps(_mm512_add_ps(a[1], a[5]), _mm512_add_ps(a[3], a[7])));
        _mm512_mask_storeu_ps(y + (t0 + t) * ldy, mask, Min ? _mm512_add_ps(sum, mins[t]) : sum);
    }
}

// K-quants (Q8_K activations): per super-block, isum = Σ_groups scale_g · Σ w·x and
// imin = Σ_groups min_g · bsum_g (exact), then y += d_x · (d_w · isum − dmin_w · imin).
template <int T, int G>
void tile_k(const PanelData& p, const ActivationData& x, size_t t0, __mmask16 mask, float* y, size_t ldy) {
    const size_t n = x.n, supers = n / 256;
    __m512 acc[T];
    for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
    for (size_t s = 0; s < supers; ++s) {
        __m512i isum[T], part[T];
        for (int t = 0; t < T; ++t) isum[t] = _mm512_setzero_si512();
        for (size_t g0 = s * 256; g0 < (s + 1) * 256; g0 += G) {
            for (int t = 0; t < T; ++t) part[t] = _mm512_setzero_si512();
            for (size_t i = g0; i < g0 + G; i += 4) {
                const __m512i w = _mm512_loadu_si512(p.w + i * 16);
                for (int t = 0; t < T; ++t) part[t] = _mm512_dpbusd_epi32(part[t], w, broadcast4(x.q + (t0 + t) * n + i));
            }
            const __m512i scale = _mm512_loadu_si512(p.scale + (g0 / 16) * kRows);
            for (int t = 0; t < T; ++t) isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(part[t], scale));
        }
        for (int t = 0; t < T; ++t) part[t] = _mm512_setzero_si512();  // now imin
        for (size_t pair = s * 8; pair < (s + 1) * 8; ++pair) {
            const __m512i m = _mm512_loadu_si512(p.min + pair * kRows * 2);
            for (int t = 0; t < T; ++t)
                part[t] = _mm512_dpwssd_epi32(part[t], m, broadcast_pair(x.sums + (t0 + t) * (n / 16) + 2 * pair));
        }
        const __m512 dw = _mm512_loadu_ps(p.d + s * kRows), dm = _mm512_loadu_ps(p.dmin + s * kRows);
        for (int t = 0; t < T; ++t) {
            const __m512 f = _mm512_fmsub_ps(dw, _mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(dm, _mm512_cvtepi32_ps(part[t])));
            acc[t] = _mm512_fmadd_ps(f, _mm512_set1_ps(x.d[(t0 + t) * supers + s]), acc[t]);
        }
    }
    for (int t = 0; t < T; ++t) _mm512_mask_storeu_ps(y + (t0 + t) * ldy, mask, acc[t]);
}

// Tokens per tile: the accumulators and the weights fit in 32 zmm (6 × 1 for one sum per block
// or super-block, 3 × 8 for the float lanes).
constexpr int kTokens = 6, kLaneTokens = 3;

template <int T>
void tile(const PanelData& p, const ActivationData& x, size_t t0, __mmask16 mask, float* y, size_t ldy) {
    if (p.float_lanes) {
        if constexpr (T <= kLaneTokens) {
            if (p.block_min) tile_lanes<T, true>(p, x, t0, mask, y, ldy);
            else tile_lanes<T, false>(p, x, t0, mask, y, ldy);
        }
    } else if (!p.k_quant) tile_block_sums<T>(p, x, t0, mask, y, ldy);
    else if (p.group == 16) tile_k<T, 16>(p, x, t0, mask, y, ldy);
    else tile_k<T, 32>(p, x, t0, mask, y, ldy);
}

template <int T>
void leftover(const PanelData& p, const ActivationData& x, size_t t0, size_t left, __mmask16 mask, float* y, size_t ldy) {
    if constexpr (T > 0) {
        if (left == T) tile<T>(p, x, t0, mask, y, ldy);
        else leftover<T - 1>(p, x, t0, left, mask, y, ldy);
    }
}

template <int T>
void tiles(const PanelData& panel, const ActivationData& x, __mmask16 mask, float* y, size_t ldy) {
    size_t t = 0;
    for (; t + T <= x.nt; t += T) tile<T>(panel, x, t, mask, y, ldy);
    if (t < x.nt) leftover<T - 1>(panel, x, t, x.nt - t, mask, y, ldy);
}

}  // namespace

void product_avx512_vnni(const PanelData& panel, const ActivationData& x, size_t nr, float* y, size_t ldy) {
    const __mmask16 mask = static_cast<__mmask16>((1u << nr) - 1);
    if (panel.float_lanes) tiles<kLaneTokens>(panel, x, mask, y, ldy);
    else tiles<kTokens>(panel, x, mask, y, ldy);
}

}  // namespace qframe::engine::int8
