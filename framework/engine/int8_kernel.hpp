// Private to the engine: what the per-instruction-set quantized-domain kernels see — plain
// pointers only, so that their translation units (compiled with -mavx512…) instantiate no
// inline library code another unit could end up calling on a CPU without those instructions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "codec/blocks.hpp"
#include "qframe/types.hpp"

namespace qframe::engine::int8 {

inline constexpr size_t kRows = 16;  // weight rows per panel (SIMD lanes)

// How ggml sums a type's products (its vec_dot function's AVX2 branch; llamafile's tinyBLAS_Q0_AVX
// for prompts of Q8_0, Q5_0 and IQ4_NL):
//   block_integers: one exact integer per block of 32, acc += (d_w·d_x)·isum — Q4_0, which
//     llama.cpp repacks on x86 (ggml-cpu-aarch64.cpp, q4_0_8x8) into kernels that do just that;
//   lanes32, lanes256: 8 float lanes per row and token. Lane l adds d · (an exact integer over the
//     values whose position modulo 32 is 4l … 4l+3) with an FMA per block of 32 (d = d_w·d_x) or
//     per super-block of 256 (whose integer is Σ scale · Σ code·x over its chunks of 32), and the
//     lanes are added at the end as hsum_float_8 does, ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)).
enum class Sums { block_integers, lanes32, lanes256 };

// What a panel's unsigned codes stand for:
//   plain: the value (mins apart);
//   offset: code − offset with small codes (Q5_0 16, Q4_0 8, Q3_K 4, Q6_K 32);
//   signed128: a signed value stored +128 (Q8_0's codes, IQ4's grid values, the lattice types'
//     grid bytes with their signs), whose byte products are taken as ggml takes them;
//   ternary: 0, 1, 2 for −1, 0, +1 (TQ1_0, TQ2_0), lane l's integer starting at −Σx over the
//     super-block's chunk l of 32 (where ggml's subtraction of the 16 bsums lands).
enum class Codes { plain, offset, signed128, ternary };

// Where the mins (or deltas) go:
//   block: Qx_1's m_w · s_x (Q8_1's block sum) in a scalar sum added last;
//   in_lanes: Q2_K's −dmin·(m_2l·bsum_2l + m_2l+1·bsum_2l+1) into lane l before the d step;
//   four_lanes: Q4_K's, 4 lanes of their own (pairs of sub-blocks) added after the tree;
//   one_sum: Q5_K's in one sum; IQ1_S's deltas, ±(2·ls + 1)·bsum, the same way;
//   deltas: IQ1_M's, ±(2·ls + 1) times each sum of 4 codes in 8 lanes of their own, added times
//     1/8 after both trees.
enum class Mins { none, block, in_lanes, four_lanes, one_sum, deltas };

// A panel's arrays (int8_product.hpp's Panel).
struct PanelData {
    Sums sums;
    Codes codes;
    Mins mins;
    const uint8_t* w;
    const float *d, *dmin;
    const int32_t* scale;
    const int32_t* scale_pairs;
    const int16_t* min;
    int offset;
    float post;
    const int32_t* delta;  // Mins::deltas
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
// `type` blocks (row_bytes apart; Q8_0 … Q6_K) against every token of x; bit-identical to the
// panel kernel.
void rows_avx512_vnni(TensorType type, const std::byte* rows, size_t row_bytes, size_t nr, const ActivationData& x, float* y, size_t ldy);
size_t rows_max_tokens();

}  // namespace qframe::engine::int8
