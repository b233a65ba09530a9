// The quantized-domain kernel for AVX2 CPUs without AVX-512 VNNI (compiled with -mavx2 -mfma;
// int8_product.cpp calls it only where the CPU has those). It covers Q4_0 only: the other types
// are summed in ggml's float lanes (int8_kernel.hpp's float_lanes), 8 accumulators per row and
// token that 16 ymm registers do not hold next to a panel's rows; they take the F32 path there.
// The panel's 16 rows are two ymm of 8 lanes; vpdpbusd becomes vpmaddubsw (pairs of byte
// products into int16) and vpmaddwd (pairs of those into int32), llama.cpp's AVX2 path. The
// integer sums and every float step are int8_product_avx512.cpp's, so both kernels give the same
// floats, bit for bit.
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

constexpr int kTokens = 2;  // tokens per tile: their integer and float sums fill the 16 ymm


}  // namespace

void product_avx2(const PanelData& panel, const ActivationData& x, size_t nr, float* y, size_t ldy) {
    size_t t = 0;
    for (; t + kTokens <= x.nt; t += kTokens) tile_block_sums<kTokens>(panel, x, t, nr, y, ldy);
    for (; t < x.nt; ++t) tile_block_sums<1>(panel, x, t, nr, y, ldy);
}

}  // namespace qframe::engine::int8
