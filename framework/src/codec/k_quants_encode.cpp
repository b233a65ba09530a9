// Q2_K … Q6_K encoders: ggml's quantize_row_q{2..6}_K_ref, which is also what llama-quantize
// runs for these types without an importance matrix (quantize_q4_K(..., NULL) and friends).
//
// Every float operation happens in ggml's order (this file is built with -ffp-contract=off, which
// also holds inside the target("avx512f") functions, where FMA exists), so the bytes are
// identical. The one liberty taken is *where* the work happens: ggml searches the scale of one
// sub-block at a time, while the searches (k_quants_search.hpp) run W sub-blocks side by side in
// SIMD vectors, lane k being sub-block k (values transposed to x[i][k]). Within a lane, the
// sequence of operations is exactly ggml's; branches became per-lane selects. W is 4 in the
// generic encoders (SSE2), 8 in the AVX2 ones and 16 in the AVX-512F ones (Q4_K/Q5_K: two
// super-blocks at a time). Q3_K's search, which moves one quant at a time, stays scalar.
// One exception to "identical", here as in ggml itself: where two NaNs of different payloads meet
// in an a + b or a * b, x86 returns the first operand's, and the compiler picks the order, so the
// quants of a super-block with NaNs depend on the build.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <utility>

#include "codec/block_io.hpp"
#include "codec/isa.hpp"
#include "codec/k_quants_search.hpp"
#include "codec/float_to_int.hpp"
#include "codec/k_scales.hpp"
#include "codec/kernels.hpp"

namespace qframe::codec {
namespace {

inline int clamp_int(int v, int lo, int hi) { return std::max(lo, std::min(hi, v)); }

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
[[gnu::always_inline]] inline void transpose_in(const float* x, float (&xt)[N][NL]) {
    for (int i = 0; i < N; ++i)
        for (int k = 0; k < NL; ++k) xt[i][k] = x[N * k + i];
}
template <int NL, int N, class T>
[[gnu::always_inline]] inline void transpose_out(const T (&lt)[N][NL], T* L) {
    for (int i = 0; i < N; ++i)
        for (int k = 0; k < NL; ++k) L[N * k + i] = lt[i][k];
}

// Shared by Q4_K (nmax 15) and Q5_K (nmax 31): per 32-value sub-block a scale and a min from
// make_qkx2_quants (weights av_x + |x|, av_x the sub-block's RMS). Searches the 8 * SB
// sub-blocks of SB consecutive super-blocks, W at a time; leaves their quants (0..nmax) in L.
template <int W, int SB>
[[gnu::always_inline]] inline void search_scale_min_k(const float* x, int nmax, float rmin, int nstep,
                                                      uint8_t* L, float (&scales)[8 * SB],
                                                      float (&mins)[8 * SB]) {
    constexpr int NL = 8 * SB;
    float xt[32][NL], wt[32][NL], sum_x2[NL] = {};
    transpose_in(x, xt);
    for (int i = 0; i < 32; ++i)
        for (int k = 0; k < NL; ++k) sum_x2[k] += xt[i][k] * xt[i][k];
    for (int k = 0; k < NL; ++k) {
        const float av_x = std::sqrt(sum_x2[k] / 32);
        for (int i = 0; i < 32; ++i) wt[i][k] = av_x + std::fabs(xt[i][k]);
    }
    uint8_t lt[32][NL];
    k_search::make_qkx2_lanes<W>(xt, wt, nmax, rmin, 0.1f, nstep, false, lt, scales, mins);
    transpose_out(lt, L);
}

// The rest of one Q4_K/Q5_K super-block: its 8 scales and 8 mins are quantized to 6 bits against
// the largest of each, and the values are then requantized with the scales actually stored.
// Fills d, dmin and scales, and updates L.
template <int W, class Block>
[[gnu::always_inline]] inline void finish_scale_min_k(const float* x, int nmax, const float* scales,
                                                      const float* mins, Block& blk, uint8_t L[QK_K]) {
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
        k_search::requantize<W, true>(x + 32 * j, 32, dm, d, 0, nmax, 0, L + 32 * j);
    }
}

// Sub-blocks 2c and 2c+1 share qs[32c ..): low and high nibble.
[[gnu::always_inline]] inline void pack_quants(const uint8_t L[QK_K], BlockQ4_K& blk) {
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l) blk.qs[32 * c + l] = uint8_t(L[64 * c + l] | L[64 * c + 32 + l] << 4);
}

// Low 4 bits as Q4_K; the fifth bit of value l of sub-block s goes to bit s of qh[l].
[[gnu::always_inline]] inline void pack_quants(const uint8_t L[QK_K], BlockQ5_K& blk) {
    std::memset(blk.qh, 0, sizeof blk.qh);
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l) {
            const int lo = L[64 * c + l], hi = L[64 * c + 32 + l];
            blk.qs[32 * c + l] = uint8_t((lo & 0x0f) | (hi & 0x0f) << 4);
            blk.qh[l] |= uint8_t((lo >> 4) << (2 * c) | (hi >> 4) << (2 * c + 1));
        }
}

// Q4_K and Q5_K, SB super-blocks per search: two when the vectors hold 16 sub-blocks. A lone last
// super-block is searched next to zeros, whose lanes are discarded.
template <int W, class Block>
[[gnu::always_inline]] inline void encode_scale_min_k(const float* src, std::byte* dst, size_t n_blocks,
                                                      int nmax, float rmin, int nstep) {
    constexpr int SB = W > 8 ? W / 8 : 1;
    for (size_t b = 0; b < n_blocks; b += SB) {
        const size_t here = std::min<size_t>(SB, n_blocks - b);
        const float* x = src + b * QK_K;
        float padded[SB * QK_K];
        if (here < SB) {
            std::memset(padded, 0, sizeof padded);
            std::memcpy(padded, x, here * QK_K * sizeof(float));
            x = padded;
        }
        uint8_t L[SB * QK_K];
        float scales[8 * SB], mins[8 * SB];
        search_scale_min_k<W, SB>(x, nmax, rmin, nstep, L, scales, mins);
        for (size_t s = 0; s < here; ++s) {
            Block blk;
            finish_scale_min_k<W>(x + s * QK_K, nmax, scales + 8 * s, mins + 8 * s, blk, L + s * QK_K);
            pack_quants(L + s * QK_K, blk);
            store_block(dst, b + s, blk);
        }
    }
}

template <int W>
[[gnu::always_inline]] inline void encode_q4_k_lanes(const float* src, std::byte* dst, size_t n_blocks) {
    encode_scale_min_k<W, BlockQ4_K>(src, dst, n_blocks, 15, -1.0f, 20);
}
template <int W>
[[gnu::always_inline]] inline void encode_q5_k_lanes(const float* src, std::byte* dst, size_t n_blocks) {
    encode_scale_min_k<W, BlockQ5_K>(src, dst, n_blocks, 31, -0.5f, 15);
}

// Q6_K: 16 groups of 16 with int8 scales: each group's scale from make_qx_quants, the scale of
// largest magnitude maps to -128, then values are requantized with the stored scales.
template <int W>
[[gnu::always_inline]] inline void encode_q6_k_lanes(const float* src, std::byte* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, src += QK_K) {
        BlockQ6_K blk;
        float xt[16][16];
        int8_t lt[16][16];
        int8_t L[QK_K];
        float scales[16];
        transpose_in(src, xt);
        k_search::make_qx_lanes<W>(xt, 32, kGroupMaxEps, lt, scales);
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
            k_search::requantize<W, false>(src + 16 * g, 16, 0.0f, d, -32, 31, 32,
                                           reinterpret_cast<uint8_t*>(L + 16 * g));
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

// Q2_K: 16 groups of 16, 2-bit quants with a 4-bit scale and 4-bit min each (make_qkx2_quants
// with weights |x| and absolute error), scales and mins quantized against the largest of each.
template <int W>
[[gnu::always_inline]] inline void encode_q2_k_lanes(const float* src, std::byte* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, src += QK_K) {
        BlockQ2_K blk;
        float xt[16][16], wt[16][16];
        uint8_t lt[16][16];
        uint8_t L[QK_K];
        float scales[16], mins[16];
        transpose_in(src, xt);
        for (int i = 0; i < 16; ++i)
            for (int k = 0; k < 16; ++k) wt[i][k] = std::fabs(xt[i][k]);
        k_search::make_qkx2_lanes<W>(xt, wt, 3, -0.5f, 0.1f, 15, true, lt, scales, mins);
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
            k_search::requantize<W, true>(src + 16 * g, 16, dm, d, 0, 3, 0, L + 16 * g);
        }
        pack_2bit(L, QK_K, blk.qs);
        store_block(dst, b, blk);
    }
}

}  // namespace

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
        pack_2bit(low, QK_K, blk.qs);
        store_block(dst, b, blk);
    }
}

// The generic encoders search 4 sub-blocks at a time (SSE2); chosen_variants() picks the widest
// set this CPU runs.
void encode_q2_k(const float* src, std::byte* dst, size_t n) { chosen_variants().encode_q2_k(src, dst, n); }
void encode_q4_k(const float* src, std::byte* dst, size_t n) { chosen_variants().encode_q4_k(src, dst, n); }
void encode_q5_k(const float* src, std::byte* dst, size_t n) { chosen_variants().encode_q5_k(src, dst, n); }
void encode_q6_k(const float* src, std::byte* dst, size_t n) { chosen_variants().encode_q6_k(src, dst, n); }

void encode_q2_k_generic(const float* src, std::byte* dst, size_t n) { encode_q2_k_lanes<4>(src, dst, n); }
void encode_q4_k_generic(const float* src, std::byte* dst, size_t n) { encode_q4_k_lanes<4>(src, dst, n); }
void encode_q5_k_generic(const float* src, std::byte* dst, size_t n) { encode_q5_k_lanes<4>(src, dst, n); }
void encode_q6_k_generic(const float* src, std::byte* dst, size_t n) { encode_q6_k_lanes<4>(src, dst, n); }

#if defined(__x86_64__)
// The same templates, inlined into functions compiled for wider vectors (isa.cpp calls them only
// where the CPU runs them).
#define QFRAME_AVX2 __attribute__((target("avx2")))
#define QFRAME_AVX512 __attribute__((target("avx512f")))
QFRAME_AVX2 void encode_q2_k_avx2(const float* src, std::byte* dst, size_t n) { encode_q2_k_lanes<8>(src, dst, n); }
QFRAME_AVX2 void encode_q4_k_avx2(const float* src, std::byte* dst, size_t n) { encode_q4_k_lanes<8>(src, dst, n); }
QFRAME_AVX2 void encode_q5_k_avx2(const float* src, std::byte* dst, size_t n) { encode_q5_k_lanes<8>(src, dst, n); }
QFRAME_AVX2 void encode_q6_k_avx2(const float* src, std::byte* dst, size_t n) { encode_q6_k_lanes<8>(src, dst, n); }
QFRAME_AVX512 void encode_q2_k_avx512(const float* src, std::byte* dst, size_t n) { encode_q2_k_lanes<16>(src, dst, n); }
QFRAME_AVX512 void encode_q4_k_avx512(const float* src, std::byte* dst, size_t n) { encode_q4_k_lanes<16>(src, dst, n); }
QFRAME_AVX512 void encode_q5_k_avx512(const float* src, std::byte* dst, size_t n) { encode_q5_k_lanes<16>(src, dst, n); }
QFRAME_AVX512 void encode_q6_k_avx512(const float* src, std::byte* dst, size_t n) { encode_q6_k_lanes<16>(src, dst, n); }
#undef QFRAME_AVX2
#undef QFRAME_AVX512
#endif

}  // namespace qframe::codec
