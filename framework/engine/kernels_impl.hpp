// The kernels' body, included by one translation unit per instruction set. The includer
// defines QF_NS (its namespace), QF_VW (floats per hardware vector), QF_R and QF_T (the tile:
// weight rows × tokens whose accumulators stay in registers) and QF_T_BROADCAST (dot_block_t's
// tile: 2·VW rows × that many tokens).
//
// GCC vector extensions keep the code portable: with -mavx512f a 16-float vector is one zmm
// register, with -mavx2 two ymm, by default four xmm. -ffp-contract=fast turns a*b+c into FMA.
#include <cstddef>
#include <cstdint>
#include <cstring>
#if QF_FAST_DECODE
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 inside its own _mm512_cvtph_ps
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#endif

#include "codec/blocks.hpp"
#include "kernels.hpp"

namespace qframe::engine::kernels::QF_NS {
namespace {

typedef float vf __attribute__((vector_size(QF_VW * sizeof(float))));
constexpr size_t VW = QF_VW;

inline vf load(const float* p) {
    vf v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// The sum of a vector's lanes as a fixed tree: lanes i and i + VW/2 first, then i and i + VW/4,
// and so on. Every path (any tile, any batch, one token) sums an accumulator this way, so a
// product's value does not depend on which tile computed it.
inline float tree_sum(vf v) {
    for (size_t h = VW / 2; h > 0; h /= 2)
        for (size_t i = 0; i < h; ++i) v[i] += v[i + h];
    return v[0];
}

// tree_sum of n ≤ VW accumulators at once: out[i] = tree_sum(in[i]). With AVX-512 (AVX2) a
// network of shuffles reduces 16 (8) vectors into one, each level adding the same lane pairs as
// tree_sum, in 45 (21) instructions instead of 16 × 30 scalar ones.
#if QF_FAST_DECODE && QF_VW == 16
// [a's 256-bit halves added, b's], then quarters, pairs within 128 bits, neighbours.
inline __m512 pair_halves(__m512 a, __m512 b) {
    return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
}
inline __m512 pair_quarters(__m512 a, __m512 b) {
    return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
}
inline __m512 pair_twos(__m512 a, __m512 b) {
    return _mm512_add_ps(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
}
inline __m512 pair_ones(__m512 a, __m512 b) {
    return _mm512_add_ps(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
}
template <size_t N>
inline void tree_sums(const vf* in, float* out) {
    static_assert(N >= 1 && N <= 16);
    __m512 v[16];
    for (size_t i = 0; i < 16; ++i) v[i] = reinterpret_cast<__m512>(in[i < N ? i : N - 1]);  // padding: ignored
    __m512 h[8], q[4];
    for (size_t i = 0; i < 8; ++i) h[i] = pair_halves(v[2 * i], v[2 * i + 1]);
    for (size_t i = 0; i < 4; ++i) q[i] = pair_quarters(h[2 * i], h[2 * i + 1]);
    alignas(64) float sums[16];
    _mm512_store_ps(sums, pair_ones(pair_twos(q[0], q[1]), pair_twos(q[2], q[3])));
    for (size_t e = 0; e < 16; ++e)  // lane 4a + b holds in[a + 4b]
        if (const size_t i = e / 4 + 4 * (e % 4); i < N) out[i] = sums[e];
}
#elif QF_FAST_DECODE && QF_VW == 8
inline __m256 pair_halves(__m256 a, __m256 b) {
    return _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
}
inline __m256 pair_twos(__m256 a, __m256 b) {
    return _mm256_add_ps(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(1, 0, 1, 0)), _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
}
inline __m256 pair_ones(__m256 a, __m256 b) {
    return _mm256_add_ps(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)), _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
}
template <size_t N>
inline void tree_sums(const vf* in, float* out) {
    static_assert(N >= 1 && N <= 8);
    __m256 v[8];
    for (size_t i = 0; i < 8; ++i) v[i] = reinterpret_cast<__m256>(in[i < N ? i : N - 1]);  // padding: ignored
    __m256 h[4];
    for (size_t i = 0; i < 4; ++i) h[i] = pair_halves(v[2 * i], v[2 * i + 1]);
    alignas(32) float sums[8];
    _mm256_store_ps(sums, pair_ones(pair_twos(h[0], h[1]), pair_twos(h[2], h[3])));
    for (size_t e = 0; e < 8; ++e)  // lane 4a + b holds in[a + 2b]
        if (const size_t i = e / 4 + 2 * (e % 4); i < N) out[i] = sums[e];
}
#else
template <size_t N>
inline void tree_sums(const vf* in, float* out) {
    for (size_t i = 0; i < N; ++i) out[i] = tree_sum(in[i]);
}
#endif

// out[i] = tree_sum(in[i]) for any count, VW at a time.
template <size_t N>
inline void all_tree_sums(const vf* in, float* out) {
    if constexpr (N > VW) {
        tree_sums<VW>(in, out);
        all_tree_sums<N - VW>(in + VW, out + VW);
    } else {
        tree_sums<N>(in, out);
    }
}

// A vector of VW weights: F32 as they are, or F16 (their bits, uint16_t) widened exactly.
inline vf load_weights(const float* p) { return load(p); }
#if QF_FAST_DECODE
inline vf load_weights(const uint16_t* p) {
#if QF_VW == 16
    return reinterpret_cast<vf>(_mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))));
#else
    return reinterpret_cast<vf>(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
#endif
}
#endif

// The register tile: R weight rows against T tokens, over n values (a multiple of kPad, hence
// of VW); adds to y when `add`.
template <int R, int T, class W>
inline void tile(const W* w, size_t ldw, const float* x, size_t ldx, size_t n, float* y, size_t ldy, bool add) {
    vf acc[R][T];
    for (int r = 0; r < R; ++r)
        for (int t = 0; t < T; ++t) acc[r][t] = vf{};
    for (size_t k = 0; k < n; k += VW) {
        vf wv[R];
        for (int r = 0; r < R; ++r) wv[r] = load_weights(w + r * ldw + k);
        for (int t = 0; t < T; ++t) {
            const vf xv = load(x + t * ldx + k);
            for (int r = 0; r < R; ++r) acc[r][t] += wv[r] * xv;
        }
    }
    float sums[R * T];
    all_tree_sums<R * T>(&acc[0][0], sums);
    for (int r = 0; r < R; ++r)
        for (int t = 0; t < T; ++t) y[t * ldy + r] = (add ? y[t * ldy + r] : 0.0f) + sums[r * T + t];
}

// Rows left over at the end of a block (fewer than QF_R): one row against T tokens at a time.
template <int T, class W>
inline void tile_rows(const W* w, size_t ldw, size_t nr, const float* x, size_t ldx, size_t n, float* y, size_t ldy, bool add) {
    for (size_t r = 0; r < nr; ++r) tile<1, T>(w + r * ldw, ldw, x, ldx, n, y + r, ldy, add);
}

template <int T, class W>
inline void rows_for_tokens(const W* w, size_t ldw, size_t nr, const float* x, size_t ldx, size_t n, float* y, size_t ldy, bool add) {
    size_t r = 0;
    for (; r + QF_R <= nr; r += QF_R) tile<QF_R, T>(w + r * ldw, ldw, x, ldx, n, y + r, ldy, add);
    tile_rows<T>(w + r * ldw, ldw, nr - r, x, ldx, n, y + r, ldy, add);
}

template <int T, class W>
void leftover_tokens(const W* w, size_t ldw, size_t nr, const float* x, size_t ldx, size_t nt, size_t n, float* y, size_t ldy, bool add) {
    if constexpr (T > 0) {
        if (nt == T) rows_for_tokens<T>(w, ldw, nr, x, ldx, n, y, ldy, add);
        else leftover_tokens<T - 1>(w, ldw, nr, x, ldx, nt, n, y, ldy, add);
    }
}

// The k dimension goes by slices, so that a tile of tokens (T × slice floats) stays near the core
// while the block's rows stream from L2. The slices' sums are added in order, so a result does not
// depend on which tile computed it (or on the batch it came in).
constexpr size_t kSlice = 512;
// F16 rows go in one slice up to 16384 values (every row of the 1B-8B Llamas): each lane then runs
// along the whole row, as in llamafile's tinyBLAS, which is ggml's order for F16 weights (with
// 2048, the 1.1B F16 model's ffn_down rows of 5632 moved its perplexity by 2e-5). The prompt speed
// was the same as with 2048, which had measured 85-90 % of the FMA peak against 70 % with 512
// (Zen 5, 2026-12-02/03). F32 rows measured best at 512.
constexpr size_t kSliceF16 = 16384;

template <size_t Slice, class W>
void dot_block_of(const W* w, size_t ldw, size_t nr, const float* x, size_t ldx, size_t nt, size_t n, float* y, size_t ldy) {
    for (size_t k0 = 0; k0 < n; k0 += Slice) {
        const size_t kn = n - k0 < Slice ? n - k0 : Slice;
        const bool add = k0 > 0;
        size_t t = 0;
        for (; t + QF_T <= nt; t += QF_T) rows_for_tokens<QF_T>(w + k0, ldw, nr, x + t * ldx + k0, ldx, kn, y + t * ldy, ldy, add);
        if (t < nt) leftover_tokens<QF_T - 1>(w + k0, ldw, nr, x + t * ldx + k0, ldx, nt - t, kn, y + t * ldy, ldy, add);
    }
}

void dot_block(const float* w, size_t ldw, size_t nr, const float* x, size_t ldx, size_t nt, size_t n, float* y, size_t ldy) {
    dot_block_of<kSlice>(w, ldw, nr, x, ldx, nt, n, y, ldy);
}

#if QF_FAST_DECODE
// F16 rows read in place, widened in registers: the same values as decoding them first, without
// the F32 copy (generation reads each weight once), by slices of kSliceF16 instead of kSlice.
void dot_block_f16(const uint16_t* w, size_t ldw, size_t nr, const float* x, size_t ldx, size_t nt, size_t n, float* y, size_t ldy) {
    dot_block_of<kSliceF16>(w, ldw, nr, x, ldx, nt, n, y, ldy);
}
#endif

// dot_block_t's tile: 2·VW rows (lanes) × T tokens (broadcast), or VW rows when `one`.
template <int T, bool one, class W>
inline void tile_t(const W* wt, size_t ldw, const float* x, size_t ldx, size_t n, float* y, size_t ldy) {
    constexpr int V = one ? 1 : 2;
    vf acc[V][T];
    for (int v = 0; v < V; ++v)
        for (int t = 0; t < T; ++t) acc[v][t] = vf{};
    for (size_t k = 0; k < n; ++k) {
        vf wv[V];
        for (int v = 0; v < V; ++v) wv[v] = load_weights(wt + k * ldw + v * VW);
        for (int t = 0; t < T; ++t) {
            const vf xb = vf{} + x[t * ldx + k];
            for (int v = 0; v < V; ++v) acc[v][t] += wv[v] * xb;
        }
    }
    for (int v = 0; v < V; ++v)
        for (int t = 0; t < T; ++t) std::memcpy(y + t * ldy + v * VW, &acc[v][t], sizeof(vf));
}

// The same scores in the order of llamafile's tinyBLAS on AVX-512 (ggml multiplies the F16 keys
// with the queries that way, 16 lanes wide whatever this CPU): lane j adds the products at
// k ≡ j (mod 16) in order, and the 16 lanes are added as _mm512_reduce_add_ps does (tree_sum's
// pairs: j and j+8, then j+4, j+2, j+1). Here the positions are in the SIMD lanes, so lane j is
// a chain of its own: Lanes<O, S> is the sum of the chains j ≡ O (mod S), built as that tree.
template <int T, int V, class W>
struct Lanes16 {
    const W* wt;
    size_t ldw;
    const float* x;
    size_t ldx, n;

    template <int O, int S>
    void sum(vf (&acc)[V][T]) const {
        if constexpr (S == 16) {
            for (int v = 0; v < V; ++v)
                for (int t = 0; t < T; ++t) acc[v][t] = vf{};
            for (size_t k = O; k < n; k += 16) {
                vf wv[V];
                for (int v = 0; v < V; ++v) wv[v] = load_weights(wt + k * ldw + v * VW);
                for (int t = 0; t < T; ++t) {
                    const vf xb = vf{} + x[t * ldx + k];
                    for (int v = 0; v < V; ++v) acc[v][t] += wv[v] * xb;
                }
            }
        } else {
            vf other[V][T];
            sum<O, 2 * S>(acc);
            sum<O + S, 2 * S>(other);
            for (int v = 0; v < V; ++v)
                for (int t = 0; t < T; ++t) acc[v][t] += other[v][t];
        }
    }
};

template <int T, bool one, class W>
inline void tile_t16(const W* wt, size_t ldw, const float* x, size_t ldx, size_t n, float* y, size_t ldy) {
    constexpr int V = one ? 1 : 2;
    vf acc[V][T];
    Lanes16<T, V, W>{wt, ldw, x, ldx, n}.template sum<0, 1>(acc);
    for (int v = 0; v < V; ++v)
        for (int t = 0; t < T; ++t) std::memcpy(y + t * ldy + v * VW, &acc[v][t], sizeof(vf));
}

template <int T, class W>
void rows_t(const W* wt, size_t ldw, size_t nr, const float* x, size_t ldx, size_t nt, size_t n, float* y, size_t ldy) {
    if constexpr (T > 1) {
        if (nt < T) return rows_t<T - 1>(wt, ldw, nr, x, ldx, nt, n, y, ldy);
    }
    size_t r = 0;
    if (n % 16 == 0) {
        for (; r + 2 * VW <= nr; r += 2 * VW) tile_t16<T, false>(wt + r, ldw, x, ldx, n, y + r, ldy);
        if (r < nr) tile_t16<T, true>(wt + r, ldw, x, ldx, n, y + r, ldy);
        return;
    }
    for (; r + 2 * VW <= nr; r += 2 * VW) tile_t<T, false>(wt + r, ldw, x, ldx, n, y + r, ldy);
    if (r < nr) tile_t<T, true>(wt + r, ldw, x, ldx, n, y + r, ldy);  // nr is padded: VW rows are left
}

template <class W>
void dot_block_t_of(const W* wt, size_t ldw, size_t nr, const float* x, size_t ldx, size_t nt, size_t n, float* y, size_t ldy) {
    if (n % 16 == 0) {  // tinyBLAS's order: a tree of 16 chains per score, fewer tokens per tile
        constexpr int T = QF_T_LANES16;
        size_t t = 0;
        for (; t + T <= nt; t += T) rows_t<T>(wt, ldw, padded(nr), x + t * ldx, ldx, T, n, y + t * ldy, ldy);
        if (t < nt) rows_t<T>(wt, ldw, padded(nr), x + t * ldx, ldx, nt - t, n, y + t * ldy, ldy);
        return;
    }
    constexpr int T = QF_T_BROADCAST;
    nr = padded(nr);
    size_t t = 0;
    for (; t + T <= nt; t += T) rows_t<T>(wt, ldw, nr, x + t * ldx, ldx, T, n, y + t * ldy, ldy);
    if (t < nt) rows_t<T>(wt, ldw, nr, x + t * ldx, ldx, nt - t, n, y + t * ldy, ldy);
}

void dot_block_t(const float* wt, size_t ldw, size_t nr, const float* x, size_t ldx, size_t nt, size_t n, float* y, size_t ldy) {
    dot_block_t_of(wt, ldw, nr, x, ldx, nt, n, y, ldy);
}

#if QF_FAST_DECODE
// The same with F16 weights (a cache kept in F16), widened in registers.
void dot_block_t_f16(const uint16_t* wt, size_t ldw, size_t nr, const float* x, size_t ldx, size_t nt, size_t n, float* y, size_t ldy) {
    dot_block_t_of(wt, ldw, nr, x, ldx, nt, n, y, ldy);
}
#endif

#if QF_FAST_DECODE
// Fast decoders for the common matrix types, written with 16-lane vectors (one zmm register,
// or two ymm). The arithmetic is ggml's: float(q) · d, F16 and BF16 widened exactly
// (vcvtph2ps quiets a signalling NaN and keeps its payload, like qframe::f16_to_f32).
typedef float vf16 __attribute__((vector_size(64)));
typedef int32_t vi16 __attribute__((vector_size(64)));
typedef uint32_t vu16 __attribute__((vector_size(64)));
typedef _Float16 vh16 __attribute__((vector_size(32)));
typedef uint16_t vw16 __attribute__((vector_size(32)));
typedef uint8_t vub16 __attribute__((vector_size(16)));

using codec::BlockQ4_0;
using codec::BlockQ8_0;
using codec::QK;

inline float half(const std::byte* p) {
    _Float16 h;
    std::memcpy(&h, p, 2);
    return static_cast<float>(h);
}
inline void store16(float* dst, vf16 v) { std::memcpy(dst, &v, sizeof v); }

// 16 F16 values widened into dst (vcvtph2ps: GCC scalarises __builtin_convertvector from
// _Float16 vectors).
inline void widen16(float* dst, const std::byte* src) {
#if defined(__AVX512F__)
    _mm512_storeu_ps(dst, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src))));
#elif defined(__F16C__)
    _mm256_storeu_ps(dst, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src))));
    _mm256_storeu_ps(dst + 8, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 16))));
#else
    vh16 h;
    std::memcpy(&h, src, sizeof h);
    store16(dst, __builtin_convertvector(h, vf16));
#endif
}

bool decode(TensorType type, const std::byte* src, float* dst, size_t n_blocks) {
    switch (type) {
        case TensorType::F16:
            for (size_t i = 0; i < n_blocks; i += 16) {
                if (n_blocks - i < 16) {
                    for (; i < n_blocks; ++i) dst[i] = half(src + 2 * i);
                    break;
                }
                widen16(dst + i, src + 2 * i);
            }
            return true;
        case TensorType::BF16:
            for (size_t i = 0; i < n_blocks; i += 16) {
                if (n_blocks - i < 16) {
                    for (; i < n_blocks; ++i) {
                        uint16_t b;
                        std::memcpy(&b, src + 2 * i, 2);
                        const uint32_t bits = uint32_t(b) << 16;
                        std::memcpy(dst + i, &bits, 4);
                    }
                    break;
                }
                vw16 b;
                std::memcpy(&b, src + 2 * i, sizeof b);
                const vu16 bits = __builtin_convertvector(b, vu16) << 16;
                std::memcpy(dst + i, &bits, sizeof bits);
            }
            return true;
        // The block types' fields are read in place (offsetof): copying a whole block out first
        // sends it through the stack, several times slower here.
        case TensorType::Q8_0:
            for (size_t b = 0; b < n_blocks; ++b, src += sizeof(BlockQ8_0), dst += QK) {
                const float d = half(src + offsetof(BlockQ8_0, d));
                for (int j = 0; j < QK; j += 16) {
                    vub16 q;
                    std::memcpy(&q, src + offsetof(BlockQ8_0, qs) + j, sizeof q);
                    // int8 as (uint8 ^ 0x80) - 128: GCC widens unsigned bytes in vector
                    // registers (vpmovzxbd) but scalarises the signed conversion.
                    const vi16 v = __builtin_convertvector(q ^ 0x80, vi16) - 128;
                    store16(dst + j, __builtin_convertvector(v, vf16) * d);
                }
            }
            return true;
        case TensorType::Q4_0: {  // low nibbles are values 0..15, high 16..31
            for (size_t b = 0; b < n_blocks; ++b, src += sizeof(BlockQ4_0), dst += QK) {
                const float d = half(src + offsetof(BlockQ4_0, d));
                vub16 q;
                static_assert(sizeof q == sizeof BlockQ4_0::qs);
                std::memcpy(&q, src + offsetof(BlockQ4_0, qs), sizeof q);
                const vi16 lo = __builtin_convertvector(q & 0x0f, vi16) - 8;
                const vi16 hi = __builtin_convertvector(q >> 4, vi16) - 8;
                store16(dst, __builtin_convertvector(lo, vf16) * d);
                store16(dst + 16, __builtin_convertvector(hi, vf16) * d);
            }
            return true;
        }
        default:
            return false;
    }
}
#else
bool decode(TensorType, const std::byte*, float*, size_t) { return false; }
#endif

}  // namespace
}  // namespace qframe::engine::kernels::QF_NS
