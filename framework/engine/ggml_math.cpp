// ggml's exponentials (ggml_math.hpp). Compiled with -ffp-contract=off: every fused multiply-add
// below is one of ggml's (std::fma), and no other product may be fused.
#include "ggml_math.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>

#include "ggml_rounding.hpp"  // QF_ROW_CLONES

namespace qframe::engine {
namespace {

// 2^k as a float, for |k| ≤ 126.
inline float exp2i(int32_t k) { return std::bit_cast<float>(static_cast<uint32_t>(k + 127) << 23); }

// _mm512_scalef_ps(j, n) for an integer-valued |n| ≤ 192: j · 2^n rounded once. Two exact
// power-of-two factors of at most 2^96 each; only the second can round (to a subnormal).
inline float scalef(float j, float n) {
    const auto k = static_cast<int32_t>(n), a = k / 2;
    return j * exp2i(a) * exp2i(k - a);
}

inline float silu_libm(float x) { return x / (1.0f + std::exp(-x)); }  // ggml_silu_f32

inline float reduce_add16(const float* v) {  // _mm512_reduce_add_ps: halves, quarters, pairs
    float s[8];
    for (int i = 0; i < 8; ++i) s[i] = v[i] + v[i + 8];
    for (int i = 0; i < 4; ++i) s[i] += s[i + 4];
    return (s[0] + s[2]) + (s[1] + s[3]);
}

// exp(x) = 2^n · e^b with n = round(x / ln 2) (the 1.5 · 2^23 trick), b = x − n · ln 2 in two
// parts, e^b by a degree-5 polynomial; |n| > 192 gives 0 or infinity (ggml's constants, from Arm's
// optimized-routines). Inlined into the loops below, which then vectorise.
[[gnu::always_inline]] inline float expf_lane(float x) {
    constexpr float r = 0x1.8p23f;
    const float z = std::fma(x, 0x1.715476p+0f, r);
    const float n = z - r;
    const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
    const float u = b * b;
    const float j = std::fma(std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)), u,
                             std::fma(0x1.ffffecp-1f, b, 1.0f));
    if (std::isnan(n)) return n;  // a NaN input (scalef's would be NaN too; its int conversion is undefined)
    if (std::fabs(n) > 192) return n <= 0 ? 0.0f : std::numeric_limits<float>::infinity();
    return scalef(j, n);
}

// ggml_gelu_f32 as GCC compiles ggml-cpu.c (contracting 1 + A·x·x into one FMA).
float gelu_tanh(float x) {
    constexpr float coef_a = 0.044715f, sqrt_2_over_pi = 0.79788456080286535587989211986876f;
    return 0.5f * x * (1.0f + std::tanh(sqrt_2_over_pi * x * std::fma(coef_a * x, x, 1.0f)));
}

// ggml_table_gelu_f16 (ggml_cpu_init), widened to float: GELU of every F16 value, rounded to F16.
const std::array<float, 65536>& gelu_table() {
    static const auto table = [] {
        auto t = std::make_unique<std::array<float, 65536>>();
        for (uint32_t i = 0; i < 65536; ++i) {
            const float f = static_cast<float>(std::bit_cast<_Float16>(static_cast<uint16_t>(i)));
            (*t)[i] = static_cast<float>(static_cast<_Float16>(gelu_tanh(f)));
        }
        return t;
    }();
    return *table;
}

}  // namespace

float ggml_expf(float x) { return expf_lane(x); }

void ggml_gelu_mul(float* g, const float* u, size_t n) {
    const std::array<float, 65536>& table = gelu_table();
    for (size_t k = 0; k < n; ++k) {
        const float x = g[k];
        float y;
        if (x <= -10.0f) y = 0.0f;
        else if (x >= 10.0f) y = x;
        else y = table[std::bit_cast<uint16_t>(static_cast<_Float16>(x))];
        g[k] = y * u[k];
    }
}

float gelu_exact(float x) {
    const double v = x;
    return static_cast<float>(0.5 * v * (1.0 + std::tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))));
}

QF_ROW_CLONES void ggml_silu_mul(float* g, const float* u, size_t n) {
    const size_t blocks = n / 16 * 16;
    for (size_t k = 0; k < blocks; ++k) g[k] = g[k] / (1.0f + expf_lane(0.0f - g[k])) * u[k];
    for (size_t k = blocks; k < n; ++k) g[k] = silu_libm(g[k]) * u[k];
}

void ggml_soft_max_row(float* row, size_t n) {
    float max = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < n; ++i) max = row[i] > max ? row[i] : max;  // ggml_vec_max_f32
    double sum = 0;
    size_t i = 0;
    for (; i + 15 < n; i += 16) {
        float v[16];
        for (size_t k = 0; k < 16; ++k) row[i + k] = v[k] = expf_lane(row[i + k] - max);
        sum += reduce_add16(v);
    }
    for (; i < n; ++i) {
        const float v = std::exp(row[i] - max);
        sum += static_cast<double>(v);
        row[i] = v;
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (size_t k = 0; k < n; ++k) row[k] *= inv;
}

QF_ROW_CLONES double ggml_softmax_exp(float* row, size_t n, float max) {
    double sum = 0;
    for (size_t j0 = 0; j0 < n; j0 += 16) {
        float v[16];
        for (size_t i = 0; i < 16; ++i) v[i] = j0 + i < n ? expf_lane(row[j0 + i] - max) : 0.0f;
        for (size_t i = 0; i < 16 && j0 + i < n; ++i) row[j0 + i] = v[i];
        sum += reduce_add16(v);
    }
    return sum;
}

}  // namespace qframe::engine
