// The scalar half-precision conversions: checksummed sweeps against ggml, plus readable cases.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <fstream>
#include <map>

#include "qframe/codec.hpp"
#include "vectors.hpp"

using namespace qframe;

namespace {

// FNV-1a 64 over the little-endian bytes of the outputs, as docs/codecs.md describes.
struct Fnv {
    uint64_t h = 0xcbf29ce484222325ull;
    void add(uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) {
            h ^= (v >> (8 * i)) & 0xff;
            h *= 0x100000001b3ull;
        }
    }
};

std::map<std::string, uint64_t> read_sweeps() {
    std::ifstream in(codec_test::vector_path("sweeps.txt"));
    REQUIRE(in.good());
    std::map<std::string, uint64_t> out;
    std::string name, hex;
    while (in >> name >> hex) out[name] = std::stoull(hex, nullptr, 16);
    return out;
}

uint32_t bits(float f) { return std::bit_cast<uint32_t>(f); }
float from_bits(uint32_t u) { return std::bit_cast<float>(u); }

}  // namespace

TEST_CASE("half-precision conversions match ggml's checksummed sweeps", "[codec][float]") {
    const auto sweeps = read_sweeps();
    Fnv f16, bf16, to_f16, to_bf16;
    for (uint32_t i = 0; i < 65536; ++i) {
        f16.add(bits(f16_to_f32(uint16_t(i))), 4);
        bf16.add(bits(bf16_to_f32(uint16_t(i))), 4);
    }
    // Every 4093rd F32 bit pattern (wrapping): all exponents, signs, NaNs and many ties.
    for (uint32_t i = 0; i < (1u << 20); ++i) {
        const float x = from_bits(i * 4093u);
        to_f16.add(f32_to_f16(x), 2);
        to_bf16.add(f32_to_bf16_nearest_even(x), 2);
    }
    CHECK(f16.h == sweeps.at("f16_to_f32_all"));
    CHECK(bf16.h == sweeps.at("bf16_to_f32_all"));
    CHECK(to_f16.h == sweeps.at("f32_to_f16_stride4093"));
    CHECK(to_bf16.h == sweeps.at("f32_to_bf16_stride4093"));
}

TEST_CASE("f32_to_f16 rounds to nearest even and saturates to infinity", "[codec][float]") {
    CHECK(f32_to_f16(0.0f) == 0x0000);
    CHECK(f32_to_f16(-0.0f) == 0x8000);
    CHECK(f32_to_f16(1.0f) == 0x3c00);
    CHECK(f32_to_f16(65504.0f) == 0x7bff);
    CHECK(f32_to_f16(65519.996f) == 0x7bff);
    CHECK(f32_to_f16(65520.0f) == 0x7c00);   // halfway to 65536 rounds up: infinity
    CHECK(f32_to_f16(-1e10f) == 0xfc00);
    CHECK(f32_to_f16(INFINITY) == 0x7c00);
    CHECK(f32_to_f16(1.0f + 0x1p-11f) == 0x3c00);      // tie, even stays
    CHECK(f32_to_f16(1.0f + 3 * 0x1p-11f) == 0x3c02);  // tie, odd rounds up
    CHECK(f32_to_f16(0x1p-24f) == 0x0001);             // smallest subnormal
    CHECK(f32_to_f16(0x1p-25f) == 0x0000);             // tie with zero
    CHECK(f32_to_f16(3 * 0x1p-25f) == 0x0002);         // tie between subnormals
    CHECK(f32_to_f16(0x1p-14f) == 0x0400);             // smallest normal
    CHECK(f32_to_f16(1e-40f) == 0x0000);               // F32 subnormal
    CHECK(f32_to_f16(from_bits(0x7fc00001)) == 0x7e00);  // NaN payload dropped, like ggml
    CHECK(f32_to_f16(from_bits(0xff800001)) == 0xfe00);
}

TEST_CASE("f16_to_f32 is exact and quiets NaNs", "[codec][float]") {
    CHECK(bits(f16_to_f32(0x8000)) == 0x80000000u);
    CHECK(f16_to_f32(0x0001) == 0x1p-24f);
    CHECK(f16_to_f32(0x7bff) == 65504.0f);
    CHECK(bits(f16_to_f32(0xfc00)) == 0xff800000u);
    CHECK(bits(f16_to_f32(0x7c01)) == 0x7fc02000u);  // signalling NaN comes out quiet
    // Every non-NaN half survives the round trip.
    for (uint32_t h = 0; h < 65536; ++h) {
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue;
        if (f32_to_f16(f16_to_f32(uint16_t(h))) != h) FAIL("round trip of " << h);
    }
}

TEST_CASE("bf16 conversions", "[codec][float]") {
    CHECK(f32_to_bf16_nearest_even(1.0f) == 0x3f80);
    CHECK(f32_to_bf16_nearest_even(from_bits(0x3f808000)) == 0x3f80);  // tie, even stays
    CHECK(f32_to_bf16_nearest_even(from_bits(0x3f818000)) == 0x3f82);  // tie, odd rounds up
    CHECK(f32_to_bf16_nearest_even(from_bits(0x7f7fffff)) == 0x7f80);  // FLT_MAX rounds to inf
    CHECK(f32_to_bf16_nearest_even(from_bits(0x7f800001)) == 0x7fc0);  // signalling NaN made quiet
    CHECK(f32_to_bf16_nearest_even(from_bits(0xffc12345)) == 0xffc1);
    CHECK(f32_to_bf16_truncate(from_bits(0x3f81ffff)) == 0x3f81);
    CHECK(f32_to_bf16_truncate(from_bits(0x7f800001)) == 0x7f80);  // truncation can make inf
    for (uint32_t b = 0; b < 65536; ++b)
        if (bits(bf16_to_f32(uint16_t(b))) != b << 16) FAIL("bf16 " << b);
}
