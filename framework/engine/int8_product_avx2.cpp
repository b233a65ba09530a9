// The quantized-domain kernels for AVX2 CPUs without AVX-512 VNNI (compiled with -mavx2 -mfma;
// int8_product.cpp calls them only where the CPU has those, and not for the types ggml sums in
// float lanes: int8_kernel.hpp's float_lanes, which take the F32 path there). The panel's 16 rows are two ymm of 8
// lanes; vpdpbusd becomes vpmaddubsw (pairs of byte products into int16) and vpmaddwd (pairs of
// those into int32), llama.cpp's AVX2 path. The integer sums and every float step are
// int8_product_avx512.cpp's, so both kernels give the same floats, bit for bit.
#include <immintrin.h>

#include <cstring>

#include "int8_kernel.hpp"

namespace qframe::engine::int8 {
namespace {

inline __m256i broadcast4(const void* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

// Per 32-bit lane, the sum of 4 products of unsigned codes u (at most 63, so that no int16 pair
// sum saturates) and signed activations s.
inline __m256i dot4(__m256i u, __m256i s) { return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)); }

// y[(t0 + t) * ldy + r] for r < nr from two vectors of 8 rows.
inline void store_rows(const __m256 (&v)[2], size_t nr, float* y) {
    alignas(32) float out[kRows];
    _mm256_store_ps(out, v[0]);
    _mm256_store_ps(out + 8, v[1]);
    std::memcpy(y, out, nr * sizeof(float));
}

// int8_product_avx512.cpp's tile_block_sums (Q4_0): per block of 32, Σ w·x − offset·Σx,
// y += (d_w · d_x) · it.
template <int T>
void tile_block_sums(const PanelData& p, const ActivationData& x, size_t t0, size_t nr, float* y, size_t ldy) {
    const size_t n = x.n, blocks = n / 32;
    __m256 acc[T][2];
    for (int t = 0; t < T; ++t) acc[t][0] = acc[t][1] = _mm256_setzero_ps();
    for (size_t b = 0; b < blocks; ++b) {
        __m256i dot[T][2];
        for (int t = 0; t < T; ++t) {
            const int16_t* s = x.sums + (t0 + t) * (n / 16) + 2 * b;
            dot[t][0] = dot[t][1] = _mm256_set1_epi32(-p.offset * (s[0] + s[1]));
        }
        for (size_t i = 0; i < 32; i += 4) {
            const uint8_t* w = p.w + (b * 32 + i) * kRows;
            const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
            const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32));
            for (int t = 0; t < T; ++t) {
                const __m256i xb = broadcast4(x.q + (t0 + t) * n + b * 32 + i);
                dot[t][0] = _mm256_add_epi32(dot[t][0], dot4(w0, xb));
                dot[t][1] = _mm256_add_epi32(dot[t][1], dot4(w1, xb));
            }
        }
        for (int h = 0; h < 2; ++h) {
            const __m256 dw = _mm256_loadu_ps(p.d + b * kRows + 8 * h);
            for (int t = 0; t < T; ++t) {
                const __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(x.d[(t0 + t) * blocks + b]));
                acc[t][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot[t][h]), scale, acc[t][h]);
            }
        }
    }
    for (int t = 0; t < T; ++t) store_rows(acc[t], nr, y + (t0 + t) * ldy);
}

// int8_product_avx512.cpp's tile_k: per super-block, isum = Σ_groups scale_g · Σ w·x and
// imin = Σ_groups min_g · bsum_g, y += d_x · (d_w · isum − dmin_w · imin).
template <int T, int G>
void tile_k(const PanelData& p, const ActivationData& x, size_t t0, size_t nr, float* y, size_t ldy) {
    const size_t n = x.n, supers = n / 256;
    __m256 acc[T][2];
    for (int t = 0; t < T; ++t) acc[t][0] = acc[t][1] = _mm256_setzero_ps();
    for (size_t s = 0; s < supers; ++s) {
        __m256i isum[T][2], part[T][2];
        for (int t = 0; t < T; ++t) isum[t][0] = isum[t][1] = _mm256_setzero_si256();
        for (size_t g0 = s * 256; g0 < (s + 1) * 256; g0 += G) {
            for (int t = 0; t < T; ++t) part[t][0] = part[t][1] = _mm256_setzero_si256();
            for (size_t i = g0; i < g0 + G; i += 4) {
                const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.w + i * kRows));
                const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.w + i * kRows + 32));
                for (int t = 0; t < T; ++t) {
                    const __m256i xb = broadcast4(x.q + (t0 + t) * n + i);
                    part[t][0] = _mm256_add_epi32(part[t][0], dot4(w0, xb));
                    part[t][1] = _mm256_add_epi32(part[t][1], dot4(w1, xb));
                }
            }
            for (int h = 0; h < 2; ++h) {
                const __m256i scale = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.scale + (g0 / 16) * kRows + 8 * h));
                for (int t = 0; t < T; ++t) isum[t][h] = _mm256_add_epi32(isum[t][h], _mm256_mullo_epi32(part[t][h], scale));
            }
        }
        for (int t = 0; t < T; ++t) part[t][0] = part[t][1] = _mm256_setzero_si256();  // now imin
        for (size_t pair = s * 8; pair < (s + 1) * 8; ++pair)
            for (int h = 0; h < 2; ++h) {
                const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.min + pair * kRows * 2 + 16 * h));
                for (int t = 0; t < T; ++t)
                    part[t][h] = _mm256_add_epi32(part[t][h], _mm256_madd_epi16(m, broadcast4(x.sums + (t0 + t) * (n / 16) + 2 * pair)));
            }
        for (int h = 0; h < 2; ++h) {
            const __m256 dw = _mm256_loadu_ps(p.d + s * kRows + 8 * h), dm = _mm256_loadu_ps(p.dmin + s * kRows + 8 * h);
            for (int t = 0; t < T; ++t) {
                const __m256 f = _mm256_fmsub_ps(dw, _mm256_cvtepi32_ps(isum[t][h]), _mm256_mul_ps(dm, _mm256_cvtepi32_ps(part[t][h])));
                acc[t][h] = _mm256_fmadd_ps(f, _mm256_set1_ps(x.d[(t0 + t) * supers + s]), acc[t][h]);
            }
        }
    }
    for (int t = 0; t < T; ++t) store_rows(acc[t], nr, y + (t0 + t) * ldy);
}

constexpr int kTokens = 2;  // tokens per tile: their integer and float sums fill the 16 ymm

template <int T>
void tile(const PanelData& p, const ActivationData& x, size_t t0, size_t nr, float* y, size_t ldy) {
    if (!p.k_quant) {
        tile_block_sums<T>(p, x, t0, nr, y, ldy);
    } else if (p.group == 16) {
        tile_k<T, 16>(p, x, t0, nr, y, ldy);
    } else {
        tile_k<T, 32>(p, x, t0, nr, y, ldy);
    }
}

}  // namespace

void product_avx2(const PanelData& panel, const ActivationData& x, size_t nr, float* y, size_t ldy) {
    size_t t = 0;
    for (; t + kTokens <= x.nt; t += kTokens) tile<kTokens>(panel, x, t, nr, y, ldy);
    for (; t < x.nt; ++t) tile<1>(panel, x, t, nr, y, ldy);
}

}  // namespace qframe::engine::int8
