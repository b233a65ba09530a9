// Private to the engine: what the per-instruction-set quantized-domain kernels see — plain
// pointers only, so that their translation units (compiled with -mavx512…) instantiate no
// inline library code another unit could end up calling on a CPU without those instructions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "codec/blocks.hpp"

namespace qframe::engine::int8 {

inline constexpr size_t kRows = 16;  // weight rows per panel (SIMD lanes)

// The weight types with kernels.
enum class Kind {
    q8_0, q4_0, q5_0, q4_1, q5_1, q2_k, q3_k, q4_k, q5_k, q6_k,                // both kernels
    iq4_nl, iq4_xs, iq2_xxs, iq2_xs, iq2_s, iq3_xxs, iq3_s, iq1_s, iq1_m, tq1_0, tq2_0  // AVX2 only
};

// A panel's arrays (int8_product.hpp's Panel).
struct PanelData {
    Kind kind;
    const uint8_t* w;
    const float *d, *dmin;
    const int32_t* scale;
    const int32_t* scale_pairs;
    const int16_t* min;
    int offset;
    float post;
    const int32_t* delta;  // IQ1_M
};

// Quantized activations (int8_product.hpp's Activations).
struct ActivationData {
    const int8_t* q;
    const float* d;
    const int16_t* sums;
    const int32_t* sums4;  // sums of 4 codes
    const float* s;        // Q8_1's block sums
    size_t n, nt;
};

// y[t * ldy + r] = panel row r · token t for r < nr (≤ 16) and every token: AVX-512 VNNI, and
// AVX2 with the same results.
void product_avx512_vnni(const PanelData& panel, const ActivationData& x, size_t nr, float* y, size_t ldy);
void product_avx2(const PanelData& panel, const ActivationData& x, size_t nr, float* y, size_t ldy);

// Q8_0, Q4_0, Q5_0, Q4_1, Q5_1, IQ4_NL: a float scale (and for Qx_1 a min) per 32 values; the
// others have super-blocks of 256 with an integer scale per group (the K-quants, IQ4_XS).
inline bool k_quant(Kind kind) {
    return kind != Kind::q8_0 && kind != Kind::q4_0 && kind != Kind::q5_0 && kind != Kind::q4_1 && kind != Kind::q5_1 &&
           kind != Kind::iq4_nl;
}
inline bool block_min(Kind kind) { return kind == Kind::q4_1 || kind == Kind::q5_1; }
// K-quants with a min per group (Q3_K's and Q6_K's codes carry an offset instead), and IQ1_S's
// deltas.
inline bool group_mins(Kind kind) { return kind == Kind::q2_k || kind == Kind::q4_k || kind == Kind::q5_k || kind == Kind::iq1_s; }
// Whether ggml sums this type's blocks in 8 float lanes rather than one integer per block: lane l
// of a row and token adds d · (an exact integer over the values whose position modulo 32 is
// 4l … 4l+3) with an FMA per block (d = d_w·d_x) or super-block, and the lanes are added at the end
// as hsum_float_8 does, ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)). That is llamafile's tinyBLAS_Q0_AVX
// for prompts of Q8_0 and Q5_0 (sgemm.cpp), and the AVX2 branches of ggml-cpu-quants.c's vec_dot
// functions for everything else: Q8_0 and Q5_0 single tokens, Q4_1 and Q5_1 (which add Σ m_w·s_x
// last, in a scalar sum of their own), and the K-quants (the integer of a super-block is
// Σ scale · Σ (code − offset)·x; the mins go first into the lanes (Q2_K), into 4 lanes of their
// own (Q4_K) or into a scalar (Q5_K)). IQ4_NL is Q8_0's case (tinyBLAS_Q0_AVX for prompts); the
// other IQ and TQ types the K-quants' (ggml_vec_dot_iq*_q8_K, vec_dot_tq*_q8_K): IQ4_XS and the
// lattice types IQ2_XXS … IQ3_S with their values (grid values, signed) as codes stored +128, and
// the lanes' sum times a constant after the tree (post_factor); IQ1_S with its delta terms as
// Q5_K's mins (one sum); IQ1_M with them in 8 lanes of their own; TQ1_0 and TQ2_0 with codes 0…2
// and lane l's integer starting at −Σ x over the super-block's chunk l of 32 (ggml subtracts the
// 16 bsums from its 16-bit lanes). Q4_0 is not: on AVX2 CPUs llama.cpp repacks it
// (ggml-cpu-aarch64.cpp, q4_0_8x8) into kernels that take one integer per block, as the engine does.
inline bool float_lanes(Kind kind) { return kind != Kind::q4_0; }

// The IQ and TQ kinds have the AVX2 kernel only, also on AVX-512 VNNI CPUs (the same values:
// integer sums are exact), and no row kernel: their products take panels from 32 tokens on.
inline bool avx2_only(Kind kind) { return kind >= Kind::iq4_nl; }
inline bool ternary(Kind kind) { return kind == Kind::tq1_0 || kind == Kind::tq2_0; }
// Codes that are signed values stored +128 (offset 128): IQ4's grid values, the lattice types'
// grid bytes with their signs.
inline bool signed_codes(Kind kind) { return avx2_only(kind) && !ternary(kind); }
// What ggml multiplies a row's sum by at the end: the lattice types' scales are 2·ls + 1 for
// (ls + 1/2)/4 (IQ2), (ls + 1/2)/2 (IQ3_XXS) and 2·ls + 1 itself (IQ3_S).
inline float post_factor(Kind kind) {
    switch (kind) {
        case Kind::iq2_xxs:
        case Kind::iq2_xs:
        case Kind::iq2_s: return 0.125f;
        case Kind::iq3_xxs: return 0.25f;
        default: return 1.0f;
    }
}

// Where a K-quant's mins go in those lanes: none for Q3_K and Q6_K (their codes carry an offset),
// into the 8 lanes for Q2_K, 4 lanes of their own for Q4_K, one sum for Q5_K.
enum class Mins { none, in_lanes, four_lanes, one_sum };

// What the unsigned codes of a 32-value block type stand for: code − offset (Q8_0's signed
// codes are stored +128, Q4_0's and Q5_0's centred on 8 and 16); Qx_1 keep theirs, the min apart.
// consteval: evaluated where used, no code shared between units built for other instruction sets.
template <class Block>
consteval int code_offset() {
    if constexpr (requires(Block b) { b.m; }) return 0;
    else if constexpr (requires(Block b) { b.qh; }) return 16;
    else if constexpr (sizeof(Block) == sizeof(codec::BlockQ8_0)) return 128;
    else return 8;
}

// The same products without a panel, for batches of at most rows_max_tokens() tokens: nr rows of
// `kind` blocks (row_bytes apart) against every token of x; bit-identical to the panel kernel.
void rows_avx512_vnni(Kind kind, const std::byte* rows, size_t row_bytes, size_t nr, const ActivationData& x, float* y, size_t ldy);
size_t rows_max_tokens();

}  // namespace qframe::engine::int8
