// Every encoder against the bytes ggml's reference quantizer made from the same floats.
#include <catch2/catch.hpp>

#include <algorithm>
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

// Every set with a .src: our bytes must be ggml's, and decoding them must give ggml's decode of
// ggml's bytes (the .f32 file), bit for bit.
TEST_CASE("encode matches ggml byte for byte", "[codec][encode]") {
    std::set<TensorType> tested;
    for (const std::string set : kSets) {
        const TypeInfo* info = find_type(type_prefix(set));
        REQUIRE(info != nullptr);
        if (!vector_exists(set + ".src")) continue;
        REQUIRE(can_encode(info->type));
        tested.insert(info->type);
        DYNAMIC_SECTION(set) {
            const auto src = read_f32(set + ".src");
            const auto want = read_bytes(set + ".bin");
            std::vector<std::byte> got(want.size());
            encode(info->type, src, got);
            const long bad = first_mismatch(got, want);
            INFO("first mismatching byte: " << bad);
            CHECK(bad == -1);

            std::vector<float> back(src.size());
            decode(info->type, got, back);
            CHECK(bits_of(back) == read_f32_bits(set + ".f32"));
        }
    }
    for (const TypeInfo& t : all_types())  // the importance-only types: test_weighted_encode.cpp
        if (can_encode(t.type) && !requires_importance(t.type)) {
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

const std::set<TensorType> kEncodable = {
    TensorType::F32,  TensorType::F16,  TensorType::BF16, TensorType::Q8_0, TensorType::Q4_0,
    TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1, TensorType::Q2_K, TensorType::Q3_K,
    TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K, TensorType::IQ4_NL, TensorType::IQ4_XS,
    TensorType::TQ1_0, TensorType::TQ2_0, TensorType::IQ3_XXS, TensorType::IQ3_S, TensorType::IQ2_XXS, TensorType::IQ2_XS, TensorType::IQ2_S, TensorType::IQ1_S, TensorType::IQ1_M,
};

TEST_CASE("can_encode is true exactly for F32 … Q8_0, Q2_K … Q6_K, IQ4_NL, IQ4_XS, the IQ types, TQ1_0 and TQ2_0", "[codec][encode]") {
    for (const TypeInfo& t : all_types()) {
        INFO(t.name);
        CHECK(can_encode(t.type) == (kEncodable.count(t.type) == 1));
    }
}

// Gaussian rows at very different scales: the relative RMS error of decode(encode(x)) must stay
// under a bound typical of the format's bit width (the measured values are about 4/5 of these),
// and no single value may be off by more than the block's range.
TEST_CASE("round trips stay within each type's typical error", "[codec][encode]") {
    const std::pair<TensorType, double> bounds[] = {
        {TensorType::Q8_0, 0.008}, {TensorType::Q6_K, 0.025}, {TensorType::Q5_0, 0.06},
        {TensorType::Q5_1, 0.052}, {TensorType::Q5_K, 0.05},  {TensorType::Q4_0, 0.125},
        {TensorType::Q4_1, 0.11},  {TensorType::Q4_K, 0.10},  {TensorType::Q3_K, 0.21},
        {TensorType::Q2_K, 0.42},  {TensorType::IQ4_NL, 0.11}, {TensorType::IQ4_XS, 0.11},
        {TensorType::IQ3_S, 0.25}, {TensorType::IQ3_XXS, 0.3},
    };
    std::mt19937 rng(7);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    const size_t n = 256 * 64;
    std::vector<float> x(n);
    // Scales 1 … 256 keep every format's F16 scales normal (tiny ones lose precision as subnormals).
    for (size_t i = 0; i < n; ++i) x[i] = dist(rng) * std::ldexp(1.0f, int(i / 256) % 9);

    for (const auto& [type, bound] : bounds) {
        const TypeInfo& info = type_info(type);
        std::vector<std::byte> q(*byte_size(info, n));
        encode(type, x, q);
        std::vector<float> y(n);
        decode(type, q, y);
        // Error relative to each 256-value row's RMS (rows differ in scale by up to 2^8).
        double worst = 0;
        size_t out_of_range = 0;
        for (size_t r = 0; r < n / 256; ++r) {
            double err2 = 0, ref2 = 0, lo = x[256 * r], hi = lo;
            for (size_t i = 256 * r; i < 256 * (r + 1); ++i) {
                err2 += double(y[i] - x[i]) * (y[i] - x[i]);
                ref2 += double(x[i]) * x[i];
                lo = std::min<double>(lo, x[i]);
                hi = std::max<double>(hi, x[i]);
            }
            worst = std::max(worst, std::sqrt(err2 / ref2));
            for (size_t i = 256 * r; i < 256 * (r + 1); ++i) out_of_range += std::fabs(y[i] - x[i]) > hi - lo;
        }
        INFO(info.name << ": worst relative RMS error " << worst);
        CHECK(worst < bound);
        CHECK(out_of_range == 0);
    }
}

TEST_CASE("encoders do not care about buffer alignment", "[codec][encode]") {
    std::mt19937 rng(3);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> storage(512 + 1);
    for (float& v : storage) v = dist(rng);
    const std::span<const float> aligned(storage.data(), 512), shifted(storage.data() + 1, 512);
    const std::vector<float> importance(512, 1.0f);
    for (TensorType type : kEncodable) {
        const TypeInfo& info = type_info(type);
        const size_t bytes = *byte_size(info, 512);
        std::vector<std::byte> a(bytes), b(bytes + 3);
        std::vector<float> tmp(shifted.begin(), shifted.end());
        if (requires_importance(type)) {
            encode_weighted(type, tmp, a, 512, importance);
            encode_weighted(type, shifted, std::span(b).subspan(3), 512, importance);  // odd input and output addresses
        } else {
            encode(type, tmp, a);
            encode(type, shifted, std::span(b).subspan(3));  // odd input and output addresses
        }
        INFO(info.name);
        CHECK(std::memcmp(a.data(), b.data() + 3, bytes) == 0);
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
    for (TensorType t : {TensorType::Q8_1, TensorType::Q8_K, TensorType::MXFP4}) {
        CHECK_FALSE(can_encode(t));
        CHECK_THROWS_AS(encode(t, values, bytes), std::invalid_argument);
    }
    encode(TensorType::BF16, {}, {});  // empty is fine
}
