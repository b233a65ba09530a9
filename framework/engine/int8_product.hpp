// Private to the engine: matrix products in the quantized domain (numerics: ggml), as llama.cpp's
// CPU backend computes them — the activations quantized once per product (Q8_0, Q8_1 or Q8_K),
// exact integer sums of code products, scaled and added in float in ggml's own order
// (int8_kernel.hpp's Sums), so that the results are llama.cpp's bit for bit.
//
// The weights of 16 rows are unpacked into a panel (framework/engine/weight_panel.cpp): codes as
// unsigned bytes, 4 consecutive values of each row side by side, so that one AVX-512 VNNI
// instruction multiplies 4 values of 16 rows with 4 values of one token (vpdpbusd). Each SIMD lane
// is one weight row: no horizontal sums. Types and CPUs without a kernel take the F32 path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ggml_rounding.hpp"
#include "int8_kernel.hpp"
#include "qframe/types.hpp"

namespace qframe::engine::int8 {

// The activations of nt tokens as ggml quantizes them for one weight type.
struct Activations {
    ActivationType type = ActivationType::Q8_0;
    size_t n = 0, nt = 0;       // values per token (whole blocks), tokens
    std::vector<int8_t> q;      // [nt][n] codes
    std::vector<float> d;       // [nt][n / block] scales
    std::vector<int16_t> sums;  // [nt][n / 16] sums of 16 codes (Q8_K's bsums)
    std::vector<int32_t> sums4; // [nt][n / 4] sums of 4 codes (for the weights' code offsets in ggml's float lanes)
    std::vector<float> s;       // [nt][n / 32] Q8_1's block sums, F16(d · Σq) (q8_1_block_sum)
};

// Quantizes rows x[t * ldx …] (t < nt) of n values; `threads` share the tokens.
void quantize(ActivationType type, const float* x, size_t ldx, size_t nt, size_t n, unsigned threads, Activations& out);

// 16 weight rows unpacked for the kernels. Value i of row r is
//   Q8_0, Q4_0, Q5_0, IQ4_NL (block b = i/32):  d[b][r] · (w[i][r] − offset)
//   Q4_1, Q5_1 (block b = i/32):  d[b][r] · w[i][r] + dmin[b][r]   (the block's min m)
//   K-quants (super-block s = i/256, group g = i/16):  d[s][r] · scale[g][r] · (w[i][r] − offset) − dmin[s][r] · min[g][r]
//     (Q2_K, Q4_K, Q5_K have mins; Q3_K's and Q6_K's codes are stored with an offset of 4 and 32)
//   IQ4_XS: as a K-quant without mins, the scale per 32 (ls − 32) given to both groups of 16
//   IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S: as a K-quant without mins, scale 2·ls + 1, times post
//   IQ1_S: the same with a min per 32 (the delta: ±(2·ls + 1), dmin −d/8); IQ1_M: with delta[i/4]
//   TQ1_0, TQ2_0: d[s][r] · (w[i][r] − 1), scale 1
// with w stored as w[i/4][r][i%4] (64 bytes per 4 values of 16 rows); the IQ codes are signed
// values stored +128 (offset 128, as Q8_0's): IQ4's grid values kvalues_iq4nl, the lattice
// types' grid bytes with their signs.
struct Panel {
    Sums sums = Sums::lanes32;
    Codes codes = Codes::plain;
    Mins mins = Mins::none;
    std::vector<uint8_t> w;       // [n/4][16][4]
    std::vector<float> d, dmin;   // [blocks or super-blocks][16]
    std::vector<int32_t> scale;   // [n/16][16]            (super-blocks)
    std::vector<int32_t> scale_pairs;  // the same as int16 pairs (scale, scale), for vpmaddwd (the AVX2 kernel)
    std::vector<int16_t> min;     // [n/32][16][2]: the mins of groups 2p and 2p+1 (Q2_K, Q4_K, Q5_K; IQ1_S's deltas)
    int offset = 0;               // TypeRow's
    float post = 1;               // TypeRow's
    std::vector<int32_t> delta;   // [n/4][16] IQ1_M: ±(2·ls + 1) per 4 values, the delta's factor of their x sum
};

// One row per weight type the kernels take (weight_panel.cpp's table): ggml's vec_dot of the type
// as the kernels reproduce it, and how its rows are unpacked.
struct TypeRow {
    TensorType type;
    Sums sums;
    Codes codes;
    Mins mins;
    int offset;  // code − offset is the value: Q8_0 and the IQ types 128, Q4_0 8, Q5_0 16, Q3_K 4, Q6_K 32
    float post;  // what ggml multiplies the lanes' sum by at the end: IQ2_* 1/8, IQ3_XXS 1/4, else 1
    bool rows;   // the AVX-512 VNNI row kernel for small batches (int8_rows_avx512.cpp); without it, panels from 32 tokens on
    void (*unpack)(const std::byte* row, size_t r, size_t n, Panel& panel);  // row r of the panel from n values of `row`
};

// The type's row; nullptr where the kernels do not take it.
const TypeRow* type_row(TensorType type);
// Whether the quantized-domain kernels handle this weight type on this CPU (AVX-512 VNNI or AVX2).
bool supported(TensorType type);
// … and a product of nt tokens with it. With AVX2 (no row kernel) a panel pays off from 32 tokens
// on: generation takes the F32 path there (measured 2026-12-02 on the 1.1B model,
// QFRAME_ENGINE_ISA=avx2: Q4_K_M prompts 1.15× the F32 path, generation with a panel per token 0.3×).
// The types without a row kernel (TypeRow::rows) follow the AVX2 rule on every CPU; so a batch of
// one token never reaches a panel of IQ4_NL, where ggml's vec_dot_iq4_nl_q8_0 sums even and odd
// blocks apart (tinyBLAS's order, which the kernels take, is that of llama.cpp's prompts).
bool supported(TensorType type, size_t nt);

// Unpacks rows [r0, r0 + nr) (nr ≤ 16; missing rows are zero) of a matrix of `type` with n
// values per row (row_bytes apart) into `panel`.
void unpack(TensorType type, const std::byte* rows, size_t row_bytes, size_t nr, size_t n, Panel& panel);

// y[t * ldy + r] = row r of the panel · token t, for r < nr and the tokens of x.
void product(const Panel& panel, const Activations& x, size_t nr, float* y, size_t ldy);

// What the per-instruction-set kernels (int8_kernel.hpp) see of a panel and of activations.
PanelData view(const Panel& panel);
ActivationData view(const Activations& x);

// Small batches (at most small_batch(type) tokens, e.g. generation; 0 where there is no row
// kernel): the same products, bit for bit, straight from nr rows of the matrix (row_bytes apart)
// without unpacking a panel first.
size_t small_batch(TensorType type);
void product_rows(TensorType type, const std::byte* rows, size_t row_bytes, size_t nr, const Activations& x, float* y, size_t ldy);

}  // namespace qframe::engine::int8
