// Private to the engine: the dot products ggml's CPU backend falls back to where llamafile's
// tinyBLAS does not apply — rows that are not a multiple of 16 wide (stories260K's FFN width of
// 172 and head width of 8): ggml_vec_dot_f32 and ggml_vec_dot_f16 of the AVX-512 build, in their
// order of operations (`numerics: ggml`). Slow scalar code, for those rare shapes only.
#pragma once

#include <cstddef>

namespace qframe::engine {

// ggml_vec_dot_f32(n, x, y).
float ggml_dot_f32(const float* x, const float* y, size_t n);

// ggml_vec_dot_f16(n, x, y) of F16 values (given widened to float).
float ggml_dot_f16(const float* x, const float* y, size_t n);

// One output of llamafile's tinyBLAS on AVX-512 (16 FMA lanes along k, added as
// _mm512_reduce_add_ps), for x[i · incx] and y[i · incy]: the attention's Vᵀ · weights where the
// heads are too narrow for the engine's kernels.
float tinyblas_dot(const float* x, size_t incx, const float* y, size_t incy, size_t n);

}  // namespace qframe::engine
