// The quantized-domain kernels for AVX2 CPUs without AVX-512 VNNI (compiled with -mavx2 -mfma;
// int8_product.cpp calls them only where the CPU has those). The panel's 16 rows are two ymm of 8
// lanes; vpdpbusd becomes vpmaddubsw (pairs of byte products into int16) and vpmaddwd (pairs of
// those into int32), llama.cpp's AVX2 path. The integer sums and every float step are
// int8_product_avx512.cpp's, so both kernels give the same floats, bit for bit. ggml's 8 float
// lanes per row and token (int8_kernel.hpp's Sums) take 8 of the 16 ymm registers, so
// those tiles are one token × 8 rows, each half of the panel in turn.
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
// Q8_0's signed codes (stored +128, which would saturate an int16 pair as unsigned bytes) times s,
// ggml's way: |q| · (s with q's sign). |q| ≤ 128 and |s| ≤ 127 keep each pair below 2¹⁵; the
// result is Σ q·s itself, with no offset to take out.
inline __m256i dot4_signed(__m256i stored, __m256i s) {
    const __m256i q = _mm256_xor_si256(stored, _mm256_set1_epi8(static_cast<char>(0x80)));
    return dot4(_mm256_abs_epi8(q), _mm256_sign_epi8(s, q));
}

// ggml's hsum_float_8 for 8 rows at once: ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)).
inline __m256 lane_tree(const __m256 (&a)[8]) {
    return _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a[0], a[4]), _mm256_add_ps(a[2], a[6])),
                         _mm256_add_ps(_mm256_add_ps(a[1], a[5]), _mm256_add_ps(a[3], a[7])));
}

// Rows 8h … 8h+7 of the panel into y (nr rows in all).
inline void store_half(__m256 v, size_t h, size_t nr, float* y) {
    alignas(32) float out[8];
    _mm256_store_ps(out, v);
    std::memcpy(y + 8 * h, out, (nr - 8 * h < 8 ? nr - 8 * h : 8) * sizeof(float));
}

// int8_product_avx512.cpp's tile_lanes (Q8_0, Q5_0; Q4_1, Q5_1 with Min) for token t and rows
// 8h … 8h+7.
template <bool Min, bool Signed>
void half_lanes(const PanelData& p, const ActivationData& x, size_t t, size_t h, size_t nr, float* y) {
    const size_t n = x.n, blocks = n / 32;
    __m256 acc[8], mins = _mm256_setzero_ps();
    for (auto& a : acc) a = _mm256_setzero_ps();
    for (size_t b = 0; b < blocks; ++b) {
        const __m256 scale = _mm256_mul_ps(_mm256_loadu_ps(p.d + b * kRows + 8 * h), _mm256_set1_ps(x.d[t * blocks + b]));
        for (int l = 0; l < 8; ++l) {
            const size_t i = b * 32 + 4 * l;
            const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.w + i * kRows + 32 * h));
            const __m256i xb = broadcast4(x.q + t * n + i);
            __m256i dot = Signed ? dot4_signed(w, xb) : dot4(w, xb);
            if constexpr (!Min && !Signed) dot = _mm256_add_epi32(dot, _mm256_set1_epi32(-p.offset * x.sums4[t * (n / 4) + i / 4]));
            acc[l] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(dot), acc[l]);
        }
        if constexpr (Min) mins = _mm256_fmadd_ps(_mm256_loadu_ps(p.dmin + b * kRows + 8 * h), _mm256_set1_ps(x.s[t * blocks + b]), mins);
    }
    store_half(Min ? _mm256_add_ps(lane_tree(acc), mins) : lane_tree(acc), h, nr, y);
}


// int8_product_avx512.cpp's tile_k (the K-quants; IQ4_XS and the lattice types) for token t and rows 8h … 8h+7.
// The codes as int8_kernel.hpp's Codes says; signed ones are multiplied as ggml does, |q| · (x with
// q's sign), lest an int16 pair saturate. Mins::deltas (IQ1_M) is a second set of 8 lanes,
// Σ delta·(sum of 4 x) per lane, added times 1/8 after both trees.
template <Mins M, Codes C>
void half_k(const PanelData& p, const ActivationData& x, size_t t, size_t h, size_t nr, float* y) {
    const size_t n = x.n, supers = n / 256;
    constexpr bool kDeltas = M == Mins::deltas, kGroupMins = M == Mins::in_lanes || M == Mins::four_lanes || M == Mins::one_sum;
    __m256 acc[8], mins[4], deltas[kDeltas ? 8 : 1];
    for (auto& a : acc) a = _mm256_setzero_ps();
    for (auto& a : deltas) a = _mm256_setzero_ps();
    for (auto& m : mins) m = _mm256_setzero_ps();
    for (size_t s = 0; s < supers; ++s) {
        const float dx = x.d[t * supers + s];
        const __m256 d = _mm256_mul_ps(_mm256_loadu_ps(p.d + s * kRows + 8 * h), _mm256_set1_ps(dx));
        // The mins' integers per pair of groups of 16 (int8_product_avx512.cpp's tile_k).
        const auto pair = [&](size_t j) {
            const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.min + ((s * 8 + j) * kRows + 8 * h) * 2));
            return _mm256_madd_epi16(m, broadcast4(x.sums + t * (n / 16) + 2 * (s * 8 + j)));
        };
        if constexpr (kGroupMins) {
            const __m256 dmin = _mm256_mul_ps(_mm256_loadu_ps(p.dmin + s * kRows + 8 * h), _mm256_set1_ps(-dx));
            if constexpr (M == Mins::in_lanes)
                for (int l = 0; l < 8; ++l) acc[l] = _mm256_fmadd_ps(dmin, _mm256_cvtepi32_ps(pair(l)), acc[l]);
            if constexpr (M == Mins::four_lanes)
                for (int q = 0; q < 4; ++q)
                    mins[q] = _mm256_fmadd_ps(dmin, _mm256_cvtepi32_ps(_mm256_add_epi32(pair(2 * q), pair(2 * q + 1))), mins[q]);
            if constexpr (M == Mins::one_sum) {
                __m256i sum = _mm256_setzero_si256();
                for (size_t j = 0; j < 8; ++j) sum = _mm256_add_epi32(sum, pair(j));
                mins[0] = _mm256_fmadd_ps(dmin, _mm256_cvtepi32_ps(sum), mins[0]);
            }
        }
        // As ggml's AVX2 kernels: byte products in int16 pairs (less the offset's, Q3_K and Q6_K),
        // then vpmaddwd with the scale twice per lane — scale · the sum of 4, in one instruction.
        const __m256i offset = _mm256_set1_epi8(static_cast<char>(p.offset));
        for (int l = 0; l < 8; ++l) {
            __m256i isum = _mm256_setzero_si256(), dsum = _mm256_setzero_si256();
            if constexpr (C == Codes::ternary) {
                const int16_t* chunk = x.sums + t * (n / 16) + s * 16 + 2 * l;
                isum = _mm256_set1_epi32(-(chunk[0] + chunk[1]));
            }
            for (size_t i = s * 256 + 4 * l; i < (s + 1) * 256; i += 32) {
                if constexpr (kDeltas)
                    dsum = _mm256_add_epi32(dsum, _mm256_mullo_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.delta + (i / 4) * kRows + 8 * h)),
                                                                     _mm256_set1_epi32(x.sums4[t * (n / 4) + i / 4])));
                const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.w + i * kRows + 32 * h));
                const __m256i xb = broadcast4(x.q + t * n + i);
                __m256i pairs;
                if constexpr (C == Codes::signed128) {
                    const __m256i q = _mm256_xor_si256(w, _mm256_set1_epi8(static_cast<char>(0x80)));
                    pairs = _mm256_maddubs_epi16(_mm256_abs_epi8(q), _mm256_sign_epi8(xb, q));
                } else {
                    pairs = _mm256_maddubs_epi16(w, xb);
                    if constexpr (C == Codes::offset) pairs = _mm256_sub_epi16(pairs, _mm256_maddubs_epi16(offset, xb));
                }
                isum = _mm256_add_epi32(isum, _mm256_madd_epi16(pairs, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.scale_pairs + (i / 16) * kRows + 8 * h))));
            }
            acc[l] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(isum), acc[l]);
            if constexpr (kDeltas) deltas[l] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dsum), deltas[l]);
        }
    }
    __m256 sum = lane_tree(acc);
    if constexpr (kDeltas) sum = _mm256_add_ps(sum, _mm256_mul_ps(_mm256_set1_ps(0.125f), lane_tree(deltas)));
    if constexpr (M == Mins::four_lanes) sum = _mm256_add_ps(sum, _mm256_add_ps(_mm256_add_ps(mins[0], mins[2]), _mm256_add_ps(mins[1], mins[3])));
    if constexpr (M == Mins::one_sum) sum = _mm256_add_ps(sum, mins[0]);
    if constexpr (C == Codes::signed128) sum = _mm256_mul_ps(_mm256_set1_ps(p.post), sum);
    store_half(sum, h, nr, y);
}

void half(const PanelData& p, const ActivationData& x, size_t t, size_t h, size_t nr, float* y) {
    if (p.sums == Sums::lanes32) {
        if (p.mins == Mins::block) return half_lanes<true, false>(p, x, t, h, nr, y);
        if (p.codes == Codes::signed128) return half_lanes<false, true>(p, x, t, h, nr, y);
        return half_lanes<false, false>(p, x, t, h, nr, y);
    }
    switch (p.mins) {
        case Mins::in_lanes: return half_k<Mins::in_lanes, Codes::plain>(p, x, t, h, nr, y);
        case Mins::four_lanes: return half_k<Mins::four_lanes, Codes::plain>(p, x, t, h, nr, y);
        case Mins::one_sum:
            if (p.codes == Codes::signed128) return half_k<Mins::one_sum, Codes::signed128>(p, x, t, h, nr, y);
            return half_k<Mins::one_sum, Codes::plain>(p, x, t, h, nr, y);
        case Mins::deltas: return half_k<Mins::deltas, Codes::signed128>(p, x, t, h, nr, y);
        case Mins::none:
        case Mins::block:
            if (p.codes == Codes::offset) return half_k<Mins::none, Codes::offset>(p, x, t, h, nr, y);
            if (p.codes == Codes::ternary) return half_k<Mins::none, Codes::ternary>(p, x, t, h, nr, y);
            return half_k<Mins::none, Codes::signed128>(p, x, t, h, nr, y);
    }
}

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
    if (panel.sums != Sums::block_integers) {
        for (size_t t = 0; t < x.nt; ++t)
            for (size_t h = 0; 8 * h < nr; ++h) half(panel, x, t, h, nr, y + t * ldy);
        return;
    }
    size_t t = 0;
    for (; t + kTokens <= x.nt; t += kTokens) tile_block_sums<kTokens>(panel, x, t, nr, y, ldy);
    for (; t < x.nt; ++t) tile_block_sums<1>(panel, x, t, nr, y, ldy);
}

}  // namespace qframe::engine::int8
