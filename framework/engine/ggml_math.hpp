// Private to the engine: the exponentials of ggml's CPU backend (`numerics: ggml`). ggml-cpu.c
// computes softmax and SiLU with its own vectorised expf (ggml_v_expf, 16 lanes on AVX-512), in
// blocks of 16 from the start of each row, the lanes left over by libm's expf; softmax adds each
// block's 16 values in float (_mm512_reduce_add_ps) into a double. These functions compute the
// same values, bit for bit, and fast: the loops vectorise.
#pragma once

#include <cstddef>

namespace qframe::engine {

// ggml_v_expf of the AVX-512 build (llama.cpp c392e50), one lane.
float ggml_expf(float x);

// g[k] = silu(g[k]) · u[k] for k < n, as ggml_vec_silu_f32 then ggml_mul compute it.
void ggml_silu_mul(float* g, const float* u, size_t n);

// g[k] = gelu(g[k]) · u[k] for k < n, as ggml_vec_gelu_f32 (GGML_GELU_FP16: x rounded to F16
// and looked up in ggml's table of F16 results; 0 below -10, x above 10) then ggml_mul compute it.
void ggml_gelu_mul(float* g, const float* u, size_t n);

// GELU's tanh approximation in double, rounded once (numerics: f32).
float gelu_exact(float x);

// softmax(row) in place as ggml_soft_max computes an unmasked row of any length (a router's
// logits): blocks of 16 by ggml's exp, the rest by libm's expf, each added to a double sum.
void ggml_soft_max_row(float* row, size_t n);

// row[j] = exp(row[j] - max) for j < n, as ggml_vec_soft_max_f32 computes it over a row whose
// positions from n to the next multiple of 16 are masked (llama.cpp pads the KV cache to 32);
// returns ggml's sum of them.
double ggml_softmax_exp(float* row, size_t n, float max);

}  // namespace qframe::engine
