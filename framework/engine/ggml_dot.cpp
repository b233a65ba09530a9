// ggml_vec_dot_f32 / _f16 (ggml-cpu.c, llama.cpp c392e50, AVX-512 build), operation for operation.
// Compiled with -ffp-contract=off: a product that ggml rounds before adding stays rounded here,
// and the fused ones are std::fma (one instruction in the FMA-capable clones).
#include "ggml_dot.hpp"

#include "ggml_rounding.hpp"  // QF_ROW_CLONES

#include <cmath>

namespace qframe::engine {
namespace {

// _mm512_reduce_add_ps: lanes e and e+8, then e+4, e+2, e+1.
[[gnu::always_inline]] inline float reduce_add16(float* r) {
    for (size_t h = 8; h > 0; h /= 2)
        for (size_t e = 0; e < h; ++e) r[e] += r[e + h];
    return r[0];
}

// The first np = n & ~63 values: 4 vectors of 16 FMA lanes (GGML_F32_STEP 64, GGML_F32_ARR 4),
// reduced as GGML_F32x16_REDUCE does — (v0 + v2) + (v1 + v3), then _mm512_reduce_add_ps.
[[gnu::always_inline]] inline float lanes64(const float* x, const float* y, size_t np) {
    float v[4][16] = {};
    for (size_t i = 0; i < np; i += 64)
        for (size_t j = 0; j < 4; ++j)
            for (size_t e = 0; e < 16; ++e) v[j][e] = std::fma(x[i + 16 * j + e], y[i + 16 * j + e], v[j][e]);
    float r[16];
    for (size_t e = 0; e < 16; ++e) r[e] = (v[0][e] + v[2][e]) + (v[1][e] + v[3][e]);
    return reduce_add16(r);
}

}  // namespace

// The rest of the row, `sumf += x[i]*y[i]` in float, as GCC 12 compiles it there: the products of
// whole 16s, then of one 8, vectorised and added one by one in order (rounded first), the last
// n % 8 fused (the scalar epilogue's vfmadd231ss) — checked against libggml's outputs.
QF_ROW_CLONES float ggml_dot_f32(const float* x, const float* y, size_t n) {
    size_t i = n & ~size_t{63};
    float sum = lanes64(x, y, i);
    for (; n - i >= 16; i += 16)
        for (size_t e = i; e < i + 16; ++e) sum += x[e] * y[e];
    if (n - i >= 8)
        for (const size_t end = i + 8; i < end; ++i) sum += x[i] * y[i];
    for (; i < n; ++i) sum = std::fma(x[i], y[i], sum);
    return sum;
}

// The rest in double: `sumf += (ggml_float)(x[i]*y[i])` (F16 products are exact in float).
QF_ROW_CLONES float ggml_dot_f16(const float* x, const float* y, size_t n) {
    size_t i = n & ~size_t{63};
    double sum = lanes64(x, y, i);
    for (; i < n; ++i) sum += static_cast<double>(x[i] * y[i]);
    return static_cast<float>(sum);
}

QF_ROW_CLONES float tinyblas_dot(const float* x, size_t incx, const float* y, size_t incy, size_t n) {
    float lanes[16] = {};
    for (size_t i = 0; i < n; ++i) lanes[i % 16] = std::fma(x[i * incx], y[i * incy], lanes[i % 16]);
    return reduce_add16(lanes);
}

}  // namespace qframe::engine
