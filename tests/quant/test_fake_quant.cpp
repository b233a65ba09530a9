// Round-trip error bounds of the fake quantization kernels.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <set>

#include "int_quant/fake_quant.hpp"

using namespace qframe::fake;

namespace {

std::vector<float> random_values(size_t n, unsigned seed, float spread = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, spread);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

float max_error(const std::vector<float>& a, const std::vector<float>& b) {
    float m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
    return m;
}

}  // namespace

TEST_CASE("fake int: error within half a step, codes within range") {
    for (int bits : {2, 4, 8}) {
        for (bool symmetric : {true, false}) {
            for (auto format : {ScaleFormat::F32, ScaleFormat::F16, ScaleFormat::Pow2}) {
                INFO("bits " << bits << " symmetric " << symmetric << " format " << static_cast<int>(format));
                const auto original = random_values(32, 7u + bits, 0.05f);
                auto q = original;
                const float scale = quantize_int(q, bits, symmetric, format);
                REQUIRE(scale > 0);
                CHECK(max_error(original, q) <= scale / 2 * (1 + 1e-6f));
                std::set<float> distinct(q.begin(), q.end());
                CHECK(distinct.size() <= (1u << bits));
                if (symmetric)
                    for (float v : q) CHECK(std::fabs(v / scale - std::nearbyint(v / scale)) < 1e-4f);
                if (format == ScaleFormat::Pow2) CHECK(std::exp2(std::round(std::log2(scale))) == scale);
            }
        }
    }
}

TEST_CASE("fake int: symmetric int8 reproduces exactly representable values") {
    std::vector<float> v{-127, -3, 0, 1, 2, 127};
    const float scale = quantize_int(v, 8, true, ScaleFormat::F32);
    CHECK(scale == 1.0f);
    CHECK(v == std::vector<float>{-127, -3, 0, 1, 2, 127});
}

TEST_CASE("fake int: round to nearest even at ties") {
    std::vector<float> v{-7, 0.5f, 1.5f, 2.5f, 7};  // scale 1: ties at 0.5, 1.5, 2.5
    quantize_int(v, 4, true, ScaleFormat::F32);
    CHECK(v == std::vector<float>{-7, 0, 2, 2, 7});
}

TEST_CASE("fake int: an all-zero group stays zero") {
    std::vector<float> v(32, 0.0f);
    CHECK(quantize_int(v, 8, true, ScaleFormat::F16) == 0);
    CHECK(quantize_nf4(v, ScaleFormat::F32) == 0);
    CHECK(quantize_fp4(v) == 0);
    for (float x : v) CHECK(x == 0);
}

TEST_CASE("nf4: values land on the scaled code book, absmax exactly") {
    const auto original = random_values(64, 3);
    auto q = original;
    const float scale = quantize_nf4(q, ScaleFormat::F32);
    std::set<float> distinct(q.begin(), q.end());
    CHECK(distinct.size() <= 16);
    float amax = 0;
    for (float x : original) amax = std::max(amax, std::fabs(x));
    CHECK(scale == amax);
    // The widest gap in the NF4 code book is 1 - 0.7229568 (top of the range).
    CHECK(max_error(original, q) <= scale * (1 - 0.7229568362236023f) / 2 * (1 + 1e-6f));
}

TEST_CASE("fp4: E2M1 magnitudes times a power-of-two scale") {
    const auto original = random_values(32, 11);
    auto q = original;
    const float scale = quantize_fp4(q);
    CHECK(std::exp2(std::round(std::log2(scale))) == scale);
    const std::set<float> e2m1{0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
    for (float v : q) CHECK(e2m1.count(std::fabs(v) / scale) == 1);
    // Largest step of E2M1 is 2 (4 → 6), plus clipping of values in (6, 8)·scale.
    CHECK(max_error(original, q) <= 2 * scale);
}
