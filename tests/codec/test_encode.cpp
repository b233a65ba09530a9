// Every encoder against the bytes ggml's reference quantizer made from the same floats.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <set>

#include "qframe/codec.hpp"
#include "vectors.hpp"

using namespace qframe;
using namespace codec_test;

namespace {

long first_mismatch(const std::vector<std::byte>& got, const std::vector<std::byte>& want) {
    if (got.size() != want.size()) return 0;
    for (size_t i = 0; i < got.size(); ++i)
        if (got[i] != want[i]) return long(i);
    return -1;
}

}  // namespace

// Sets whose type has no encoder yet are skipped; their .src files wait for one.
TEST_CASE("encode matches ggml byte for byte", "[codec][encode]") {
    std::set<TensorType> tested;
    for (const std::string set : kSets) {
        const TypeInfo* info = find_type(type_prefix(set));
        REQUIRE(info != nullptr);
        if (!can_encode(info->type) || !vector_exists(set + ".src")) continue;
        tested.insert(info->type);
        DYNAMIC_SECTION(set) {
            const auto src = read_f32(set + ".src");
            const auto want = read_bytes(set + ".bin");
            std::vector<std::byte> got(want.size());
            encode(info->type, src, got);
            const long bad = first_mismatch(got, want);
            INFO("first mismatching byte: " << bad);
            CHECK(bad == -1);
        }
    }
    for (const TypeInfo& t : all_types())
        if (can_encode(t.type)) {
            INFO(t.name << " has an encoder but no vector");
            CHECK(tested.count(t.type) == 1);
        }
}

TEST_CASE("encode_bf16_truncate keeps the high 16 bits", "[codec][encode]") {
    const auto src = read_f32("bf16.trunc.src");
    const auto want = read_bytes("bf16.trunc.bin");
    std::vector<std::byte> got(want.size());
    encode_bf16_truncate(src, got);
    CHECK(first_mismatch(got, want) == -1);
}

TEST_CASE("can_encode is true exactly for F32, F16, BF16 and Q8_0", "[codec][encode]") {
    for (const TypeInfo& t : all_types()) {
        INFO(t.name);
        const bool expected = t.type == TensorType::F32 || t.type == TensorType::F16 ||
                              t.type == TensorType::BF16 || t.type == TensorType::Q8_0;
        CHECK(can_encode(t.type) == expected);
    }
}

TEST_CASE("Q8_0 round trip stays within half a quantization step", "[codec][encode]") {
    std::mt19937 rng(42);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    const size_t n = 32 * 64;
    std::vector<float> x(n);
    for (size_t i = 0; i < n; ++i) x[i] = dist(rng) * std::ldexp(1.0f, int(i / 32) % 20 - 10);

    std::vector<std::byte> q(n / 32 * 34);
    encode(TensorType::Q8_0, x, q);
    std::vector<float> y(n);
    decode(TensorType::Q8_0, q, y);

    for (size_t b = 0; b < n / 32; ++b) {
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[32 * b + j]));
        const float d = amax / 127;  // the step used to quantize
        uint16_t h;
        std::memcpy(&h, &q[34 * b], 2);
        const float d16 = f16_to_f32(h);  // the step stored (rounded to F16)
        // Rounding to the nearest step costs d/2; storing the step as F16 shifts the largest
        // quant (127) by 127 * |d - d16|; the rest is float rounding.
        const float bound = 0.5f * d + 127 * std::fabs(d - d16) + 1e-6f * amax;
        for (int j = 0; j < 32; ++j) {
            INFO("block " << b << " value " << j);
            CHECK(std::fabs(y[32 * b + j] - x[32 * b + j]) <= bound);
        }
    }
}

TEST_CASE("encode rejects bad sizes and unsupported types", "[codec][encode]") {
    std::vector<float> values(64);
    std::vector<std::byte> bytes(68);
    encode(TensorType::Q8_0, values, bytes);

    CHECK_THROWS_AS(encode(TensorType::Q8_0, values, std::span(bytes).first(67)), std::invalid_argument);
    CHECK_THROWS_AS(encode(TensorType::Q8_0, std::span(values).first(48), std::span(bytes).first(51)),
                    std::invalid_argument);
    CHECK_THROWS_AS(encode(TensorType::F16, values, bytes), std::invalid_argument);  // needs 128
    CHECK_THROWS_AS(encode_bf16_truncate(values, bytes), std::invalid_argument);
    for (TensorType t : {TensorType::Q4_0, TensorType::Q4_K, TensorType::Q6_K, TensorType::IQ4_NL}) {
        CHECK_FALSE(can_encode(t));
        CHECK_THROWS_AS(encode(t, values, bytes), std::invalid_argument);
    }
    encode(TensorType::BF16, {}, {});  // empty is fine
}
