// The quantized-domain products for small batches (generation), AVX-512 VNNI: no panel — each
// weight row's blocks are unpacked into a short linear buffer of codes and multiplied with every
// token at once. Integer sums are the panel kernel's (int8_product_avx512.cpp) and the float
// steps are the same operations in the same order, so a token's result does not depend on the
// batch it came in.
//
// Only intrinsics and this file's own functions (internal linkage) are compiled here with
// -mavx512…: codec/blocks.hpp is plain layouts; the Q4_K/Q5_K scale unpacking is written out
// below rather than taken from codec/k_scales.hpp, whose inline functions other units share.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 inside _mm512_cvtepi32_ps and casts
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "codec/blocks.hpp"
#include "int8_kernel.hpp"

namespace qframe::engine::int8 {
namespace {

using namespace codec;

constexpr size_t kMaxTokens = 8;

float half_at(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

// One super-block of one row: codes 0…255 in order, per 16 values an integer scale and min (Q2_K,
// Q4_K, Q5_K; Q3_K's and Q6_K's codes carry an offset instead, rows_k's Offset).
struct Unpacked {
    alignas(64) uint8_t code[256];
    alignas(64) int32_t scale[16];
    alignas(32) int16_t min[16];
    float d, dmin;
};

// ggml's hsum_float_8: the halves, then lanes i and i+2, then i and i+1.
inline float hsum8(__m256 v) {
    const __m128 half = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
    const __m128 quarter = _mm_add_ps(half, _mm_movehl_ps(half, half));
    return _mm_cvtss_f32(_mm_add_ss(quarter, _mm_movehdup_ps(quarter)));
}

// 64 codes in one store: the dot product loads them as one zmm right after, and a load that
// spans two stores (32 bytes each) cannot take its data from them: the core waits for both to
// reach the cache (about a quarter of the K-quant rows' time, before this).
inline void store_codes(uint8_t* dst, __m256i first, __m256i second) {
    _mm512_store_si512(dst, _mm512_inserti64x4(_mm512_castsi256_si512(first), second, 1));
}

inline __m256i nibbles_low(__m256i v) { return _mm256_and_si256(v, _mm256_set1_epi8(0x0f)); }
inline __m256i nibbles_high(__m256i v) { return _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(0x0f)); }

// The unpacking functions are inlined into rows_k (always_inline): as calls, with a vzeroupper
// each, generation of the 1.1B Q4_K_M model ran at 0.75× the speed it has with them inlined.
//
// Q4_K, Q5_K: sub-blocks 2c and 2c+1 are the low and high nibbles of qs[32c …]; 6-bit scales and
// mins packed in 12 bytes (sub-blocks 4-7 split over the spare top bits).
template <class Block>
[[gnu::always_inline]] inline void unpack_scale_min_k(const Block& blk, Unpacked& u) {
    constexpr bool kFifthBit = requires { blk.qh; };
    u.d = half_at(blk.d);
    u.dmin = half_at(blk.dmin);
    // The 12 bytes as three words, 4 sub-blocks per word: scales 0-3 and mins 0-3 are the low
    // 6 bits of words 0 and 1; scales and mins 4-7 take their low nibbles from word 2 and their
    // top 2 bits from the top of words 0 and 1.
    uint32_t w[3];
    std::memcpy(w, blk.scales, 12);
    const uint32_t packed[4] = {w[0] & 0x3f3f3f3fu, (w[2] & 0x0f0f0f0fu) | ((w[0] >> 6) & 0x03030303u) << 4,
                                w[1] & 0x3f3f3f3fu, ((w[2] >> 4) & 0x0f0f0f0fu) | ((w[1] >> 6) & 0x03030303u) << 4};
    // Bytes: scales 0-7, mins 0-7; each applies to two groups of 16.
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(packed));
    _mm512_store_si512(u.scale, _mm512_cvtepu8_epi32(_mm_unpacklo_epi8(bytes, bytes)));
    _mm256_store_si256(reinterpret_cast<__m256i*>(u.min), _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(bytes, bytes)));
    for (int c = 0; c < 4; ++c) {
        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs + 32 * c));
        __m256i lo = nibbles_low(q), hi = nibbles_high(q);
        if constexpr (kFifthBit) {
            const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qh));
            const __m256i one = _mm256_set1_epi8(1);
            const auto bit = [&](int j) { return _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, j), one), 4); };
            lo = _mm256_or_si256(lo, bit(2 * c));
            hi = _mm256_or_si256(hi, bit(2 * c + 1));
        }
        store_codes(u.code + 64 * c, lo, hi);
    }
}

// Q2_K: values 128h + 32k + l (l < 32) are bits [2k, 2k+2) of qs[32h + l]; per 16 a byte with
// the scale (low nibble) and min (high nibble).
[[gnu::always_inline]] inline void unpack_q2_k(const BlockQ2_K& blk, Unpacked& u) {
    u.d = half_at(blk.d);
    u.dmin = half_at(blk.dmin);
    const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.scales));
    _mm512_store_si512(u.scale, _mm512_cvtepu8_epi32(_mm_and_si128(s, _mm_set1_epi8(0x0f))));
    _mm256_store_si256(reinterpret_cast<__m256i*>(u.min), _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(s, 4), _mm_set1_epi8(0x0f))));
    for (int h = 0; h < 2; ++h) {
        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs + 32 * h));
        const auto bits = [&](int k) { return _mm256_and_si256(_mm256_srli_epi16(q, 2 * k), _mm256_set1_epi8(3)); };
        for (int k = 0; k < 4; k += 2) store_codes(u.code + 128 * h + 32 * k, bits(k), bits(k + 1));
    }
}

// Q3_K: Q2_K's low bits plus bit 4h + k of hmask[l] as the third; the code low + 4·high stands
// for (code − 4). 16 signed 6-bit scales, stored +32:
// low nibbles in bytes 0-7 (group g and g + 8 share byte g % 8), top 2 bits in bytes 8-11.
[[gnu::always_inline]] inline void unpack_q3_k(const BlockQ3_K& blk, Unpacked& u) {
    u.d = half_at(blk.d);
    for (int g = 0; g < 16; ++g) {
        const int low = g < 8 ? blk.scales[g] & 0x0f : blk.scales[g - 8] >> 4;
        const int high = (blk.scales[8 + g % 4] >> (2 * (g / 4))) & 3;
        u.scale[g] = (low | high << 4) - 32;
    }
    const __m256i hm = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.hmask));
    for (int h = 0; h < 2; ++h) {
        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs + 32 * h));
        const auto codes = [&](int k) {
            const __m256i low = _mm256_and_si256(_mm256_srli_epi16(q, 2 * k), _mm256_set1_epi8(3));
            const __m256i high = _mm256_and_si256(_mm256_srli_epi16(hm, 4 * h + k), _mm256_set1_epi8(1));
            return _mm256_or_si256(low, _mm256_slli_epi16(high, 2));
        };
        for (int k = 0; k < 4; k += 2) store_codes(u.code + 128 * h + 32 * k, codes(k), codes(k + 1));
    }
}

// Q6_K: values 128h + 32k + l (l < 32) take a nibble of ql[64h + 32(k%2) + l] and 2 bits of
// qh[32h + l]; the code stands for (code − 32).
[[gnu::always_inline]] inline void unpack_q6_k(const BlockQ6_K& blk, Unpacked& u) {
    u.d = half_at(blk.d);
    _mm512_store_si512(u.scale, _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.scales))));
    for (int h = 0; h < 2; ++h) {
        const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qh + 32 * h));
        const auto codes = [&](int k) {
            const __m256i ql = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.ql + 64 * h + 32 * (k % 2)));
            const __m256i lo = k < 2 ? nibbles_low(ql) : nibbles_high(ql);
            const __m256i high = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), _mm256_set1_epi8(3));
            return _mm256_or_si256(lo, _mm256_slli_epi16(high, 4));
        };
        for (int k = 0; k < 4; k += 2) store_codes(u.code + 128 * h + 32 * k, codes(k), codes(k + 1));
    }
}

// IQ4_XS: each value a grid value of kvalues_iq4nl (ggml's, written out here: the codec's table is
// a std::array, whose inline members must not be compiled in this unit), stored +128 as Q8_0's
// codes; byte l of a group of 32 holds values l (low nibble) and l + 16; a 6-bit scale per group
// (nibble j of scales_l, bits 2j and 2j+1 of scales_h, less 32), given to both its 16s.
[[gnu::always_inline]] inline void unpack_iq4_xs(const BlockIQ4_XS& blk, Unpacked& u) {
    u.d = half_at(blk.d);
    const unsigned high = blk.scales_h[0] | blk.scales_h[1] << 8;
    for (int j = 0; j < 8; ++j) {
        const int ls = (((blk.scales_l[j / 2] >> 4 * (j % 2)) & 0x0f) | ((high >> 2 * j) & 3) << 4) - 32;
        u.scale[2 * j] = u.scale[2 * j + 1] = ls;
    }
    const __m128i grid = _mm_setr_epi8(char(-127 + 128), char(-104 + 128), char(-83 + 128), char(-65 + 128), char(-49 + 128), char(-35 + 128),
                                       char(-22 + 128), char(-10 + 128), char(1 + 128), char(13 + 128), char(25 + 128), char(38 + 128),
                                       char(53 + 128), char(69 + 128), char(89 + 128), char(113 + 128));
    const auto group = [&](int j) {
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.qs + 16 * j));
        const __m128i lo = _mm_shuffle_epi8(grid, _mm_and_si128(q, _mm_set1_epi8(0x0f)));
        const __m128i hi = _mm_shuffle_epi8(grid, _mm_and_si128(_mm_srli_epi16(q, 4), _mm_set1_epi8(0x0f)));
        return _mm256_set_m128i(hi, lo);
    };
    for (int c = 0; c < 4; ++c) store_codes(u.code + 64 * c, group(2 * c), group(2 * c + 1));
}

// The super-block's 8 lane integers of ggml's float lanes (int8_kernel.hpp's Sums): lane l
// is Σ scale_g · Σ (code − Offset)·x over the values whose position modulo 32 is 4l … 4l+3. A zmm
// of 64 codes holds lanes l and l+8 for two chunks of 32; the halves are added at the end.
template <int Offset>
inline __m256i lane_sums(const Unpacked& u, const int8_t* x, const int32_t* sums4) {
    const __m512i scales = _mm512_load_si512(u.scale);
    __m512i sum = _mm512_setzero_si512();
    for (int c = 0; c < 4; ++c) {
        __m512i from = _mm512_setzero_si512();
        if constexpr (Offset != 0) from = _mm512_mullo_epi32(_mm512_loadu_si512(sums4 + 16 * c), _mm512_set1_epi32(-Offset));
        const __m512i dot = _mm512_dpbusd_epi32(from, _mm512_load_si512(u.code + 64 * c), _mm512_loadu_si512(x + 64 * c));
        // Lane j of chunk c covers values 64c + 4j …: group 4c + j/4.
        const __m512i lane_scale = _mm512_permutexvar_epi32(
            _mm512_setr_epi32(4 * c, 4 * c, 4 * c, 4 * c, 4 * c + 1, 4 * c + 1, 4 * c + 1, 4 * c + 1, 4 * c + 2, 4 * c + 2, 4 * c + 2,
                              4 * c + 2, 4 * c + 3, 4 * c + 3, 4 * c + 3, 4 * c + 3),
            scales);
        sum = _mm512_add_epi32(sum, _mm512_mullo_epi32(dot, lane_scale));
    }
    return _mm256_add_epi32(_mm512_castsi512_si256(sum), _mm512_extracti64x4_epi64(sum, 1));
}

// K-quant rows: ggml's AVX2 vec_dot_q*_K_q8_K step for step (the panel kernel's values, bit for
// bit). Mins (int8_product_avx512.cpp's tile_k): Q2_K into the lanes first, Q4_K in 4 lanes of
// their own, Q5_K in one sum.
template <Mins M, int Offset, size_t NT, class Unpack>
void rows_k(const std::byte* rows, size_t row_bytes, size_t block_bytes, size_t nr, const ActivationData& x, float* y, size_t ldy,
            Unpack unpack) {
    const size_t supers = x.n / 256;
    Unpacked u;
    for (size_t r = 0; r < nr; ++r) {
        __m256 acc[NT];
        __m128 mins4[NT];
        float mins[NT] = {};
        for (size_t t = 0; t < NT; ++t) {
            acc[t] = _mm256_setzero_ps();
            mins4[t] = _mm_setzero_ps();
        }
        for (size_t s = 0; s < supers; ++s) {
            // Generation is bound by memory: ask for the blocks a few steps ahead.
            const std::byte* ahead = rows + r * row_bytes + (s + 8) * block_bytes;
            _mm_prefetch(reinterpret_cast<const char*>(ahead), _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char*>(ahead) + 64, _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char*>(ahead) + 128, _MM_HINT_T0);
            unpack(rows + r * row_bytes + s * block_bytes, u);
            for (size_t t = 0; t < NT; ++t) {
                const float dx = x.d[t * supers + s];
                if constexpr (M != Mins::none) {
                    const float dmin = -dx * u.dmin;
                    // Per pair of groups of 16: min_2j · bsum_2j + min_2j+1 · bsum_2j+1.
                    const __m256i pairs = _mm256_madd_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(u.min)),
                                                            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.sums + t * (x.n / 16) + s * 16)));
                    if constexpr (M == Mins::in_lanes) {
                        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(pairs), acc[t]);
                    } else {
                        const __m128i quads = _mm_hadd_epi32(_mm256_castsi256_si128(pairs), _mm256_extracti128_si256(pairs, 1));
                        if constexpr (M == Mins::four_lanes) {
                            mins4[t] = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(quads), mins4[t]);
                        } else {
                            const __m128i two = _mm_add_epi32(quads, _mm_unpackhi_epi64(quads, quads));
                            mins[t] = std::fma(dmin, float(_mm_cvtsi128_si32(_mm_add_epi32(two, _mm_shuffle_epi32(two, 1)))), mins[t]);
                        }
                    }
                }
                const __m256i lanes = lane_sums<Offset>(u, x.q + t * x.n + s * 256, x.sums4 + t * (x.n / 4) + s * 64);
                acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dx * u.d), _mm256_cvtepi32_ps(lanes), acc[t]);
            }
        }
        for (size_t t = 0; t < NT; ++t) {
            float sum = hsum8(acc[t]);
            if constexpr (M == Mins::four_lanes) {
                const __m128 two = _mm_add_ps(mins4[t], _mm_movehl_ps(mins4[t], mins4[t]));
                sum += _mm_cvtss_f32(_mm_add_ss(two, _mm_movehdup_ps(two)));
            }
            y[t * ldy + r] = sum + mins[t];
        }
    }
}

// A block of 32 as unsigned codes (Q8_0 stored +128, the others as their nibbles and fifth bits).
template <class Block>
__m256i block_codes(const uint8_t* blk) {
    const uint8_t* qs = blk + offsetof(Block, qs);
    if constexpr (sizeof(Block) == sizeof(BlockQ8_0)) {
        return _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs)), _mm256_set1_epi8(char(0x80)));
    } else {
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
        __m256i w = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), _mm_set1_epi8(0x0f)), _mm_and_si128(q, _mm_set1_epi8(0x0f)));
        if constexpr (requires(Block b) { b.qh; }) {  // Q5_x: bit j of qh is value j's fifth bit
            uint32_t qh;
            std::memcpy(&qh, blk + offsetof(Block, qh), 4);
            w = _mm256_or_si256(w, _mm256_maskz_mov_epi8(qh, _mm256_set1_epi8(0x10)));
        }
        return w;
    }
}

// Q4_0: per block of 32, Σ (code − 8) · x exactly, acc += isum · (d_w · d_x) (the panel kernel's
// steps). The fields are read where they lie (offsetof): a block copied out first goes through the
// stack, and its 32-byte code load then spans two of memcpy's stores, which the core cannot forward.
//
// NT, the batch's size, is a constant: with a run-time count the sums live in a stack array, and
// each block's FMA then waits for the previous one's store to come back (10 cycles a block here,
// against 4).
template <class Block, size_t NT>
void rows_block_sums(const std::byte* rows, size_t row_bytes, size_t nr, const ActivationData& x, float* y, size_t ldy) {
    const size_t blocks = x.n / 32;
    constexpr int offset = code_offset<Block>();
    for (size_t r = 0; r < nr; ++r) {
        float acc[NT] = {};
        for (size_t b = 0; b < blocks; ++b) {
            const auto* blk = reinterpret_cast<const uint8_t*>(rows + r * row_bytes + b * sizeof(Block));
            const __m256i w = block_codes<Block>(blk);
            const float dw = half_at(blk + offsetof(Block, d));
            for (size_t t = 0; t < NT; ++t) {
                const int16_t* s = x.sums + t * (x.n / 16) + 2 * b;
                const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.q + t * x.n + 32 * b));
                const __m256i dot = _mm256_dpbusd_epi32(_mm256_setzero_si256(), w, xv);
                const __m128i half = _mm_add_epi32(_mm256_castsi256_si128(dot), _mm256_extracti128_si256(dot, 1));
                const __m128i quarter = _mm_add_epi32(half, _mm_unpackhi_epi64(half, half));
                const int32_t isum = _mm_cvtsi128_si32(_mm_add_epi32(quarter, _mm_shuffle_epi32(quarter, 1))) - offset * (s[0] + s[1]);
                acc[t] = std::fma(float(isum), dw * x.d[t * blocks + b], acc[t]);
            }
        }
        for (size_t t = 0; t < NT; ++t) y[t * ldy + r] = acc[t];
    }
}

// Q8_0, Q5_0, Q4_1, Q5_1: ggml's own loop (int8_kernel.hpp's Sums) — one vpdpbusd gives
// the block's 8 lane integers, an FMA adds them times d_w·d_x to 8 float lanes, and the lanes are
// summed at the end as hsum_float_8 does (the panel kernel's values, bit for bit).
template <class Block, size_t NT>
void rows_lanes(const std::byte* rows, size_t row_bytes, size_t nr, const ActivationData& x, float* y, size_t ldy) {
    const size_t blocks = x.n / 32;
    constexpr int offset = code_offset<Block>();
    constexpr bool kMin = requires(Block b) { b.m; };
    for (size_t r = 0; r < nr; ++r) {
        __m256 acc[NT];
        float mins[NT] = {};
        for (size_t t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
        for (size_t b = 0; b < blocks; ++b) {
            const auto* blk = reinterpret_cast<const uint8_t*>(rows + r * row_bytes + b * sizeof(Block));
            const __m256i w = block_codes<Block>(blk);
            const float dw = half_at(blk + offsetof(Block, d));
            for (size_t t = 0; t < NT; ++t) {
                const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.q + t * x.n + 32 * b));
                __m256i from = _mm256_setzero_si256();
                if constexpr (offset != 0)
                    from = _mm256_mullo_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.sums4 + t * (x.n / 4) + 8 * b)),
                                              _mm256_set1_epi32(-offset));
                const __m256i dot = _mm256_dpbusd_epi32(from, w, xv);
                acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dw * x.d[t * blocks + b]), _mm256_cvtepi32_ps(dot), acc[t]);
                if constexpr (kMin) mins[t] = std::fma(half_at(blk + offsetof(Block, m)), x.s[t * blocks + b], mins[t]);
            }
        }
        for (size_t t = 0; t < NT; ++t) y[t * ldy + r] = hsum8(acc[t]) + mins[t];
    }
}

template <class Block, size_t NT>
void rows_q8_0(const std::byte* rows, size_t row_bytes, size_t nr, const ActivationData& x, float* y, size_t ldy) {
    if constexpr (std::is_same_v<Block, BlockQ4_0>) rows_block_sums<Block, NT>(rows, row_bytes, nr, x, y, ldy);
    else rows_lanes<Block, NT>(rows, row_bytes, nr, x, y, ldy);
}

// rows_k for the batch's size.
template <Mins M, int Offset, size_t NT = kMaxTokens, class Unpack>
void rows_k_for(const std::byte* rows, size_t row_bytes, size_t block_bytes, size_t nr, const ActivationData& x, float* y, size_t ldy,
                Unpack unpack) {
    if constexpr (NT > 1) {
        if (x.nt < NT) return rows_k_for<M, Offset, NT - 1>(rows, row_bytes, block_bytes, nr, x, y, ldy, unpack);
    }
    rows_k<M, Offset, NT>(rows, row_bytes, block_bytes, nr, x, y, ldy, unpack);
}

// rows_q8_0 for the batch's size.
template <class Block, size_t NT = kMaxTokens>
void rows_q8_0_for(const std::byte* rows, size_t row_bytes, size_t nr, const ActivationData& x, float* y, size_t ldy) {
    if constexpr (NT > 1) {
        if (x.nt < NT) return rows_q8_0_for<Block, NT - 1>(rows, row_bytes, nr, x, y, ldy);
    }
    rows_q8_0<Block, NT>(rows, row_bytes, nr, x, y, ldy);
}

}  // namespace

size_t rows_max_tokens() { return kMaxTokens; }

void rows_avx512_vnni(TensorType type, const std::byte* rows, size_t row_bytes, size_t nr, const ActivationData& x, float* y, size_t ldy) {
    const auto block = [](auto tag, auto&& f) {
        return [f](const std::byte* p, Unpacked& u) {
            decltype(tag) blk;
            std::memcpy(&blk, p, sizeof blk);
            f(blk, u);
        };
    };
    switch (type) {
        case TensorType::Q8_0: return rows_q8_0_for<BlockQ8_0>(rows, row_bytes, nr, x, y, ldy);
        case TensorType::Q4_0: return rows_q8_0_for<BlockQ4_0>(rows, row_bytes, nr, x, y, ldy);
        case TensorType::Q5_0: return rows_q8_0_for<BlockQ5_0>(rows, row_bytes, nr, x, y, ldy);
        case TensorType::Q4_1: return rows_q8_0_for<BlockQ4_1>(rows, row_bytes, nr, x, y, ldy);
        case TensorType::Q5_1: return rows_q8_0_for<BlockQ5_1>(rows, row_bytes, nr, x, y, ldy);
        case TensorType::Q2_K:
            return rows_k_for<Mins::in_lanes, 0>(rows, row_bytes, sizeof(BlockQ2_K), nr, x, y, ldy,
                                                 block(BlockQ2_K{}, [](const BlockQ2_K& b, Unpacked& u) { unpack_q2_k(b, u); }));
        case TensorType::Q3_K:
            return rows_k_for<Mins::none, 4>(rows, row_bytes, sizeof(BlockQ3_K), nr, x, y, ldy,
                                             block(BlockQ3_K{}, [](const BlockQ3_K& b, Unpacked& u) { unpack_q3_k(b, u); }));
        case TensorType::Q4_K:
            return rows_k_for<Mins::four_lanes, 0>(rows, row_bytes, sizeof(BlockQ4_K), nr, x, y, ldy,
                                                   block(BlockQ4_K{}, [](const BlockQ4_K& b, Unpacked& u) { unpack_scale_min_k(b, u); }));
        case TensorType::Q5_K:
            return rows_k_for<Mins::one_sum, 0>(rows, row_bytes, sizeof(BlockQ5_K), nr, x, y, ldy,
                                                block(BlockQ5_K{}, [](const BlockQ5_K& b, Unpacked& u) { unpack_scale_min_k(b, u); }));
        case TensorType::Q6_K:
            return rows_k_for<Mins::none, 32>(rows, row_bytes, sizeof(BlockQ6_K), nr, x, y, ldy,
                                              block(BlockQ6_K{}, [](const BlockQ6_K& b, Unpacked& u) { unpack_q6_k(b, u); }));
        case TensorType::IQ4_XS:
            return rows_k_for<Mins::none, 128>(rows, row_bytes, sizeof(BlockIQ4_XS), nr, x, y, ldy,
                                               block(BlockIQ4_XS{}, [](const BlockIQ4_XS& b, Unpacked& u) { unpack_iq4_xs(b, u); }));
        default: return;  // the types without a row kernel (int8_product.hpp's TypeRow::rows)
    }
}

}  // namespace qframe::engine::int8
