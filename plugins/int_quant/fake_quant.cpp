#include "fake_quant.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include "qframe/codec.hpp"

namespace qframe::fake {
namespace {

constexpr std::array<float, 16> kNf4 = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
    -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
    0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
    0.7229568362236023f, 1.0f};

constexpr std::array<float, 8> kE2M1 = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};

float absmax(std::span<const float> group) {
    float m = 0;
    for (float v : group) m = std::max(m, std::fabs(v));
    return m;
}

// Index of the code nearest to v in a sorted code book; ties go to the even index.
template <size_t N>
size_t nearest(const std::array<float, N>& codes, float v) {
    const auto it = std::lower_bound(codes.begin(), codes.end(), v);
    if (it == codes.begin()) return 0;
    if (it == codes.end()) return N - 1;
    const size_t hi = static_cast<size_t>(it - codes.begin()), lo = hi - 1;
    const float d_lo = v - codes[lo], d_hi = codes[hi] - v;
    if (d_lo != d_hi) return d_lo < d_hi ? lo : hi;
    return lo % 2 == 0 ? lo : hi;
}

}  // namespace

ScaleFormat parse_scale_format(const std::string& name) {
    if (name == "f32") return ScaleFormat::F32;
    if (name == "f16") return ScaleFormat::F16;
    if (name == "pow2") return ScaleFormat::Pow2;
    throw std::invalid_argument("scale format must be f32, f16 or pow2");
}

float store_scale(float scale, ScaleFormat format) {
    switch (format) {
        case ScaleFormat::F32: return scale;
        case ScaleFormat::F16: {
            // Round up, never down: a smaller scale would clip the group's largest value.
            uint16_t h = f32_to_f16(scale);
            if (f16_to_f32(h) < scale) ++h;  // the next F16 up (scale is positive)
            return f16_to_f32(h);
        }
        case ScaleFormat::Pow2: return scale > 0 ? std::exp2(std::ceil(std::log2(scale))) : 0.0f;
    }
    return scale;
}

float quantize_int(std::span<float> group, int bits, bool symmetric, ScaleFormat format) {
    if (symmetric) {
        const float qmax = static_cast<float>((1 << (bits - 1)) - 1);
        const float scale = store_scale(absmax(group) / qmax, format);
        if (scale == 0) return 0;
        for (float& v : group) v = std::clamp(std::nearbyint(v / scale), -qmax, qmax) * scale;
        return scale;
    }
    const auto [lo_it, hi_it] = std::minmax_element(group.begin(), group.end());
    const float lo = *lo_it, qmax = static_cast<float>((1 << bits) - 1);
    const float scale = store_scale((*hi_it - lo) / qmax, format);
    if (scale == 0) return 0;
    for (float& v : group) v = lo + std::clamp(std::nearbyint((v - lo) / scale), 0.0f, qmax) * scale;
    return scale;
}

float quantize_nf4(std::span<float> group, ScaleFormat format) {
    const float scale = store_scale(absmax(group), format);
    if (scale == 0) return 0;
    for (float& v : group) v = kNf4[nearest(kNf4, v / scale)] * scale;
    return scale;
}

float quantize_fp4(std::span<float> group) {
    const float amax = absmax(group);
    if (amax == 0 || !std::isfinite(amax)) return 0;
    const float scale = std::ldexp(1.0f, static_cast<int>(std::floor(std::log2(amax))) - 2);
    for (float& v : group) {
        const float m = kE2M1[nearest(kE2M1, std::min(std::fabs(v) / scale, 6.0f))] * scale;
        v = std::copysign(m, v);
    }
    return scale;
}

}  // namespace qframe::fake
