// The quantized-domain kernels for AVX-512 VNNI (compiled with -mavx512vnni; int8_product.cpp
// calls them only where the CPU has it). A tile is the panel's 16 rows (one zmm lane each)
// against T tokens: vpdpbusd adds 4 code products of every row per instruction, with the token's
// 4 codes broadcast, so each result lane is one row's sum. Integer sums are exact, as ggml's; the
// float steps are ggml's per type: 8 float lanes per row and token (int8_kernel.hpp's Sums), or
// one integer per block for Q4_0.
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

// ggml's hsum_float_8 for 16 rows at once: ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)).
inline __m512 lane_tree(const __m512* a) {
    return _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a[0], a[4]), _mm512_add_ps(a[2], a[6])),
                         _mm512_add_ps(_mm512_add_ps(a[1], a[5]), _mm512_add_ps(a[3], a[7])));
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
// (int8_kernel.hpp's Sums). Lane l's integer is one vpdpbusd, Σ (w − offset)·x over
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
        const __m512 sum = lane_tree(acc[t]);
        _mm512_mask_storeu_ps(y + (t0 + t) * ldy, mask, Min ? _mm512_add_ps(sum, mins[t]) : sum);
    }
}

// K-quants and the IQ/TQ super-block types (Q8_K activations) in ggml's 8 float lanes. Per
// super-block, lane l's integer is Σ over the 8 chunks of 32 values of scale_g · Σ (w − offset)·x
// over values 4l…4l+3 of the chunk (one vpdpbusd each, started at −offset · their x sum; the
// ternary codes start the lane at −Σx over chunk l instead), and acc_l += (d_w·d_x) · it. The
// mins: Q2_K first adds (−dmin_w·d_x) · (m_2l·bsum_2l + m_2l+1·bsum_2l+1) to lane l; Q4_K keeps 4
// lanes of them (pairs of sub-blocks), Q5_K and IQ1_S one sum, added after the lanes' tree;
// IQ1_M's deltas are 8 lanes of their own, added times 1/8. The signed codes' sum is multiplied by
// the panel's post last (int8_product_avx2.cpp's half_k, step for step).
template <int T, Mins M, Codes C>
void tile_k(const PanelData& p, const ActivationData& x, size_t t0, __mmask16 mask, float* y, size_t ldy) {
    const size_t n = x.n, supers = n / 256;
    constexpr int kMinLanes = M == Mins::four_lanes ? 4 : M == Mins::one_sum ? 1 : 0;
    constexpr bool kOffset = C == Codes::offset || C == Codes::signed128, kDeltas = M == Mins::deltas;
    constexpr bool kGroupMins = M == Mins::in_lanes || M == Mins::four_lanes || M == Mins::one_sum;
    __m512 acc[T][8], mins[T][kMinLanes > 0 ? kMinLanes : 1], deltas[T][kDeltas ? 8 : 1];
    for (int t = 0; t < T; ++t) {
        for (int l = 0; l < 8; ++l) acc[t][l] = _mm512_setzero_ps();
        for (auto& m : mins[t]) m = _mm512_setzero_ps();
        for (auto& m : deltas[t]) m = _mm512_setzero_ps();
    }
    for (size_t s = 0; s < supers; ++s) {
        const __m512 dw = _mm512_loadu_ps(p.d + s * kRows);
        __m512 d[T], dmin[T];
        for (int t = 0; t < T; ++t) {
            const float dx = x.d[(t0 + t) * supers + s];
            d[t] = _mm512_mul_ps(dw, _mm512_set1_ps(dx));
            if constexpr (kGroupMins) dmin[t] = _mm512_mul_ps(_mm512_loadu_ps(p.dmin + s * kRows), _mm512_set1_ps(-dx));
        }
        // The mins' integers: pairs of groups of 16 (Q2_K: lane l is pair l; Q4_K, Q5_K: pair j is
        // sub-block j, its min twice).
        const auto pair = [&](int t, size_t j, __m512i from) {
            const __m512i m = _mm512_loadu_si512(p.min + (s * 8 + j) * kRows * 2);
            return _mm512_dpwssd_epi32(from, m, broadcast_pair(x.sums + (t0 + t) * (n / 16) + 2 * (s * 8 + j)));
        };
        if constexpr (M == Mins::in_lanes)
            for (int l = 0; l < 8; ++l)
                for (int t = 0; t < T; ++t) acc[t][l] = _mm512_fmadd_ps(dmin[t], _mm512_cvtepi32_ps(pair(t, l, _mm512_setzero_si512())), acc[t][l]);
        if constexpr (M == Mins::four_lanes)
            for (int q = 0; q < 4; ++q)
                for (int t = 0; t < T; ++t) {
                    const __m512i sum = pair(t, 2 * q + 1, pair(t, 2 * q, _mm512_setzero_si512()));
                    mins[t][q] = _mm512_fmadd_ps(dmin[t], _mm512_cvtepi32_ps(sum), mins[t][q]);
                }
        if constexpr (M == Mins::one_sum)
            for (int t = 0; t < T; ++t) {
                __m512i sum = _mm512_setzero_si512();
                for (size_t j = 0; j < 8; ++j) sum = pair(t, j, sum);
                mins[t][0] = _mm512_fmadd_ps(dmin[t], _mm512_cvtepi32_ps(sum), mins[t][0]);
            }
        for (int l = 0; l < 8; ++l) {
            __m512i isum[T], dsum[T];
            for (int t = 0; t < T; ++t) {
                isum[t] = dsum[t] = _mm512_setzero_si512();
                if constexpr (C == Codes::ternary) {
                    const int16_t* chunk = x.sums + (t0 + t) * (n / 16) + s * 16 + 2 * l;
                    isum[t] = _mm512_set1_epi32(-(chunk[0] + chunk[1]));
                }
            }
            for (size_t i = s * 256 + 4 * l; i < (s + 1) * 256; i += 32) {
                const __m512i w = _mm512_loadu_si512(p.w + i * kRows);
                const __m512i scale = _mm512_loadu_si512(p.scale + (i / 16) * kRows);
                for (int t = 0; t < T; ++t) {
                    const int32_t sum4 = x.sums4[(t0 + t) * (n / 4) + i / 4];
                    const __m512i from = kOffset ? _mm512_set1_epi32(-p.offset * sum4) : _mm512_setzero_si512();
                    const __m512i dot = _mm512_dpbusd_epi32(from, w, broadcast4(x.q + (t0 + t) * n + i));
                    isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(dot, scale));
                    if constexpr (kDeltas)
                        dsum[t] = _mm512_add_epi32(dsum[t], _mm512_mullo_epi32(_mm512_loadu_si512(p.delta + (i / 4) * kRows), _mm512_set1_epi32(sum4)));
                }
            }
            for (int t = 0; t < T; ++t) {
                acc[t][l] = _mm512_fmadd_ps(d[t], _mm512_cvtepi32_ps(isum[t]), acc[t][l]);
                if constexpr (kDeltas) deltas[t][l] = _mm512_fmadd_ps(d[t], _mm512_cvtepi32_ps(dsum[t]), deltas[t][l]);
            }
        }
    }
    for (int t = 0; t < T; ++t) {
        __m512 sum = lane_tree(acc[t]);
        if constexpr (kDeltas) sum = _mm512_add_ps(sum, _mm512_mul_ps(_mm512_set1_ps(0.125f), lane_tree(deltas[t])));
        if constexpr (M == Mins::four_lanes)
            sum = _mm512_add_ps(sum, _mm512_add_ps(_mm512_add_ps(mins[t][0], mins[t][2]), _mm512_add_ps(mins[t][1], mins[t][3])));
        if constexpr (M == Mins::one_sum) sum = _mm512_add_ps(sum, mins[t][0]);
        if constexpr (C == Codes::signed128) sum = _mm512_mul_ps(_mm512_set1_ps(p.post), sum);
        _mm512_mask_storeu_ps(y + (t0 + t) * ldy, mask, sum);
    }
}

// Tokens per tile: the accumulators and the weights fit in 32 zmm (6 × 1 for one sum per block,
// 3 × 8 for the float lanes, 2 × 12 for Q4_K's lanes and mins, 1 × 16 with IQ1_M's deltas).
constexpr int kTokens = 6, kLaneTokens = 3, kQ4KTokens = 2, kDeltaTokens = 1;

// Every code plain or with its offset (the signed ones stored +128: vpdpbusd takes unsigned bytes
// and starts from −128·Σx).
template <int T>
void tile(const PanelData& p, const ActivationData& x, size_t t0, __mmask16 mask, float* y, size_t ldy) {
    if (p.sums == Sums::block_integers) return tile_block_sums<T>(p, x, t0, mask, y, ldy);
    if constexpr (T <= kLaneTokens) {
        if (p.sums == Sums::lanes32)
            return p.mins == Mins::block ? tile_lanes<T, true>(p, x, t0, mask, y, ldy) : tile_lanes<T, false>(p, x, t0, mask, y, ldy);
        switch (p.mins) {
            case Mins::in_lanes: return tile_k<T, Mins::in_lanes, Codes::plain>(p, x, t0, mask, y, ldy);
            case Mins::four_lanes:
                if constexpr (T <= kQ4KTokens) return tile_k<T, Mins::four_lanes, Codes::plain>(p, x, t0, mask, y, ldy);
                return;
            case Mins::one_sum:
                if (p.codes == Codes::signed128) return tile_k<T, Mins::one_sum, Codes::signed128>(p, x, t0, mask, y, ldy);
                return tile_k<T, Mins::one_sum, Codes::plain>(p, x, t0, mask, y, ldy);
            case Mins::deltas:
                if constexpr (T <= kDeltaTokens) return tile_k<T, Mins::deltas, Codes::signed128>(p, x, t0, mask, y, ldy);
                return;
            case Mins::none:
            case Mins::block:
                if (p.codes == Codes::signed128) return tile_k<T, Mins::none, Codes::signed128>(p, x, t0, mask, y, ldy);
                if (p.codes == Codes::ternary) return tile_k<T, Mins::none, Codes::ternary>(p, x, t0, mask, y, ldy);
                return tile_k<T, Mins::none, Codes::offset>(p, x, t0, mask, y, ldy);
        }
    }
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
    if (panel.sums == Sums::block_integers) tiles<kTokens>(panel, x, mask, y, ldy);
    else if (panel.mins == Mins::four_lanes) tiles<kQ4KTokens>(panel, x, mask, y, ldy);
    else if (panel.mins == Mins::deltas) tiles<kDeltaTokens>(panel, x, mask, y, ldy);
    else tiles<kLaneTokens>(panel, x, mask, y, ldy);
}

}  // namespace qframe::engine::int8
