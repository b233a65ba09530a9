// ggml's exponentials (ggml_math.hpp). Compiled with -ffp-contract=off: every fused multiply-add
// below is one of ggml's (std::fma), and no other product may be fused.
#include "ggml_math.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

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
    if (std::fabs(n) > 192) return n <= 0 ? 0.0f : std::numeric_limits<float>::infinity();
    return scalef(j, n);
}

}  // namespace

float ggml_expf(float x) { return expf_lane(x); }

QF_ROW_CLONES void ggml_silu_mul(float* g, const float* u, size_t n) {
    const size_t blocks = n / 16 * 16;
    for (size_t k = 0; k < blocks; ++k) g[k] = g[k] / (1.0f + expf_lane(0.0f - g[k])) * u[k];
    for (size_t k = blocks; k < n; ++k) g[k] = silu_libm(g[k]) * u[k];
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
