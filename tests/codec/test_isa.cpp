// The codecs' instruction-set variants (codec/isa.hpp) against the generic scalar code, bit for
// bit: every F16 and BF16 pattern, F32 patterns around every rounding boundary, and Q8_0 blocks
// with exact ties, NaNs, infinities, zeros, subnormals and huge values. Each variant the CPU runs
// is called directly, whichever one decode()/encode() chose.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "codec/blocks.hpp"
#include "codec/isa.hpp"
#include "qframe/codec.hpp"

using namespace qframe;
using codec::Isa;

namespace {

uint32_t bits(float f) { return std::bit_cast<uint32_t>(f); }
float from_bits(uint32_t u) { return std::bit_cast<float>(u); }

const codec::Variants& generic() { return *codec::variants(Isa::generic); }

// The variants this CPU runs besides the generic one; says which are missing.
std::vector<const codec::Variants*> fast_variants() {
    std::vector<const codec::Variants*> out;
    for (Isa isa : {Isa::avx2, Isa::avx512}) {
        if (const codec::Variants* v = codec::variants(isa))
            out.push_back(v);
        else
            WARN("codec variant " << (isa == Isa::avx2 ? "avx2" : "avx512") << " not tested: this CPU does not run it");
    }
    return out;
}

// The bytes of `values` placed one byte past an aligned address, so no variant can rely on
// alignment.
struct Unaligned {
    std::vector<std::byte> storage;
    explicit Unaligned(size_t n_bytes) : storage(n_bytes + 64) {}
    std::byte* data() { return storage.data() + 1; }
};

// ggml's quantize_row_q8_0_ref written out again here, independently of q8.cpp: MAX as a macro,
// roundf, and the (int8_t) cast as x86-64 performs it (cvttss2si: INT32_MIN when out of range).
std::vector<std::byte> q8_0_reference(const std::vector<float>& x) {
    std::vector<std::byte> out(x.size() / 32 * sizeof(codec::BlockQ8_0));
    for (size_t b = 0; b < x.size() / 32; ++b) {
        const float* v = x.data() + 32 * b;
        float amax = 0.0f;
        for (int j = 0; j < 32; ++j) amax = amax > std::fabs(v[j]) ? amax : std::fabs(v[j]);
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const uint16_t d16 = f32_to_f16(d);
        std::memcpy(&out[34 * b], &d16, 2);
        for (int j = 0; j < 32; ++j) {
            const float r = std::roundf(v[j] * id);
            const int32_t i = (r >= -2147483648.0f && r < 2147483648.0f) ? int32_t(r) : INT32_MIN;
            out[34 * b + 2 + j] = std::byte(uint8_t(uint32_t(i)));
        }
    }
    return out;
}

}  // namespace

TEST_CASE("codec variants: the generic set always runs, the others where the CPU has them", "[codec][isa]") {
    REQUIRE(codec::variants(Isa::generic) != nullptr);
    CHECK(std::string(generic().name) == "generic");
#if defined(__x86_64__)
    CHECK((codec::variants(Isa::avx512) != nullptr) == bool(__builtin_cpu_supports("avx512f")));
    CHECK((codec::variants(Isa::avx2) != nullptr) ==
          bool(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c")));
#endif
    fast_variants();  // warns about what this CPU cannot test
}

TEST_CASE("F16 and BF16 decoders agree with the scalar conversions on all 65536 patterns", "[codec][isa]") {
    // Every pattern once, then lengths 0..40 from odd offsets so that every tail length runs.
    std::vector<uint16_t> all(65536);
    for (uint32_t i = 0; i < 65536; ++i) all[i] = uint16_t(i);
    Unaligned src(2 * all.size());
    std::memcpy(src.data(), all.data(), 2 * all.size());

    // The generic decoder is f16_to_f32, which quiets a signalling NaN keeping its payload,
    // exactly what vcvtph2ps does.
    std::vector<float> want_f16(all.size()), want_bf16(all.size());
    generic().decode_f16(src.data(), want_f16.data(), all.size());
    generic().decode_bf16(src.data(), want_bf16.data(), all.size());
    for (uint32_t h = 0; h < 65536; ++h) {
        REQUIRE(bits(want_f16[h]) == bits(f16_to_f32(uint16_t(h))));
        REQUIRE(bits(want_bf16[h]) == h << 16);
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff))
            REQUIRE(bits(want_f16[h]) == ((h & 0x8000u) << 16 | 0x7fc00000u | (h & 0x3ffu) << 13));
    }

    for (const codec::Variants* v : fast_variants()) {
        INFO("variant " << v->name);
        std::vector<float> got(all.size() + 1);
        float* out = got.data() + 1;  // 4-byte aligned only
        v->decode_f16(src.data(), out, all.size());
        for (uint32_t h = 0; h < 65536; ++h)
            if (bits(out[h]) != bits(want_f16[h])) FAIL("decode_f16 of " << h << ": " << bits(out[h]));
        v->decode_bf16(src.data(), out, all.size());
        for (uint32_t h = 0; h < 65536; ++h)
            if (bits(out[h]) != bits(want_bf16[h])) FAIL("decode_bf16 of " << h << ": " << bits(out[h]));
        for (size_t start : {size_t(0), size_t(31743), size_t(65536 - 41)}) {
            for (size_t n = 0; n <= 40; ++n) {
                std::vector<float> small(n + 1, -1.0f);
                v->decode_f16(src.data() + 2 * start, small.data(), n);
                for (size_t i = 0; i < n; ++i) REQUIRE(bits(small[i]) == bits(want_f16[start + i]));
                REQUIRE(small[n] == -1.0f);  // nothing written past the end
                v->decode_bf16(src.data() + 2 * start, small.data(), n);
                for (size_t i = 0; i < n; ++i) REQUIRE(bits(small[i]) == bits(want_bf16[start + i]));
                REQUIRE(small[n] == -1.0f);
            }
        }
    }
}

namespace {

// F32 patterns for the F16/BF16 encoders: a stride through all 2^32, and around each F16 and
// BF16 value (the value, its rounding boundaries below and above, one ulp either side), NaNs
// with many payloads, infinities, zeros and subnormals.
std::vector<float> encoder_inputs() {
    std::vector<uint32_t> u;
    for (uint64_t i = 0; i < (uint64_t(1) << 32); i += 1021) u.push_back(uint32_t(i));
    for (uint32_t h = 0; h < 65536; ++h) {
        const float f = f16_to_f32(uint16_t(h));
        if (std::isnan(f)) continue;
        const uint32_t b = bits(f);
        for (int32_t k = -(1 << 13) - 1; k <= (1 << 13) + 1; k += (1 << 12)) u.push_back(b + uint32_t(k));
        for (uint32_t k : {0x0fffu, 0x1000u, 0x1001u, 0x2fffu, 0x3000u, 0x3001u}) u.push_back(b + k);
        const uint32_t w = uint32_t(h) << 16;  // BF16 value h and its ties
        for (uint32_t k : {0u, 1u, 0x7fffu, 0x8000u, 0x8001u, 0xffffu}) u.push_back(w + k);
    }
    for (uint32_t s : {0u, 0x80000000u}) {
        for (uint32_t m = 1; m < (1u << 23); m = m * 3 + 1) u.push_back(s | 0x7f800000u | m);   // NaNs
        for (uint32_t m = 1; m < (1u << 23); m = m * 5 + 3) u.push_back(s | m);                 // F32 subnormals
        for (uint32_t e : {0x7f800000u, 0x7f7fffffu, 0x477fe000u, 0x477fefffu, 0x477ff000u, 0x477ff001u,
                           0x33000000u, 0x33000001u, 0x32ffffffu, 0x387fffffu, 0x38800000u, 0u})
            u.push_back(s | e);
    }
    std::vector<float> out(u.size());
    for (size_t i = 0; i < u.size(); ++i) out[i] = from_bits(u[i]);
    return out;
}

}  // namespace

TEST_CASE("F16 and BF16 encoders agree with the scalar conversions", "[codec][isa]") {
    const std::vector<float> x = encoder_inputs();
    std::vector<uint16_t> want_f16(x.size()), want_bf16(x.size());
    Unaligned out(2 * x.size());
    generic().encode_f16(x.data(), out.data(), x.size());
    std::memcpy(want_f16.data(), out.data(), 2 * x.size());
    generic().encode_bf16(x.data(), out.data(), x.size());
    std::memcpy(want_bf16.data(), out.data(), 2 * x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        REQUIRE(want_f16[i] == f32_to_f16(x[i]));
        REQUIRE(want_bf16[i] == f32_to_bf16_nearest_even(x[i]));
    }

    for (const codec::Variants* v : fast_variants()) {
        INFO("variant " << v->name);
        std::vector<float> shifted(x.size() + 1);
        std::memcpy(shifted.data() + 1, x.data(), 4 * x.size());  // 4-byte aligned only
        for (auto [fn, want, what] : {std::tuple{v->encode_f16, &want_f16, "encode_f16"},
                                      std::tuple{v->encode_bf16, &want_bf16, "encode_bf16"}}) {
            fn(shifted.data() + 1, out.data(), x.size());
            std::vector<uint16_t> got(x.size());
            std::memcpy(got.data(), out.data(), 2 * x.size());
            for (size_t i = 0; i < x.size(); ++i)
                if (got[i] != (*want)[i])
                    FAIL(what << " of 0x" << std::hex << bits(x[i]) << ": 0x" << got[i] << ", want 0x" << (*want)[i]);
            for (size_t n = 0; n <= 40; ++n) {
                std::vector<uint16_t> small(n + 1, 0xabcd);
                fn(x.data() + 7, reinterpret_cast<std::byte*>(small.data()), n);
                for (size_t i = 0; i < n; ++i) REQUIRE(small[i] == (*want)[7 + i]);
                REQUIRE(small[n] == 0xabcd);
            }
        }
    }
}

// Not run by default (4 Gi values per variant, some seconds each):
//   bin/test_codec '[exhaustive]'
TEST_CASE("F16 and BF16 encoders agree on every F32 pattern", "[.][exhaustive][codec][isa]") {
    constexpr size_t kChunk = size_t(1) << 20;
    std::vector<float> x(kChunk);
    std::vector<uint16_t> want(kChunk), got(kChunk);
    const auto fast = fast_variants();
    for (uint64_t start = 0; start < (uint64_t(1) << 32); start += kChunk) {
        for (size_t i = 0; i < kChunk; ++i) x[i] = from_bits(uint32_t(start + i));
        for (bool bf16 : {false, true}) {
            (bf16 ? generic().encode_bf16 : generic().encode_f16)(x.data(), reinterpret_cast<std::byte*>(want.data()), kChunk);
            for (const codec::Variants* v : fast) {
                (bf16 ? v->encode_bf16 : v->encode_f16)(x.data(), reinterpret_cast<std::byte*>(got.data()), kChunk);
                if (got != want)
                    for (size_t i = 0; i < kChunk; ++i)
                        if (got[i] != want[i])
                            FAIL(v->name << (bf16 ? " encode_bf16" : " encode_f16") << " of 0x" << std::hex << bits(x[i]));
            }
        }
    }
}

namespace {

// Q8_0 blocks that probe every rule of quantize_row_q8_0_ref.
std::vector<float> q8_0_inputs() {
    std::vector<float> x;
    std::mt19937 rng(20261126);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> pick(0, 31);
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    auto block = [&](auto&& value) {
        for (int j = 0; j < 32; ++j) x.push_back(value(j));
    };

    // Gaussian blocks over many scales, subnormal to huge.
    for (int e = -149; e <= 127; e += 3)
        for (int rep = 0; rep < 8; ++rep) block([&](int) { return std::ldexp(normal(rng), e); });
    // Exact ties: amax = 127 s with s a power of two makes d = s and id = 1/s exact, so
    // (k + 0.5) s quantizes to exactly k + 0.5, which rounds away from zero; one ulp either side
    // must round toward the nearer integer.
    for (int e : {-130, -60, -10, -1, 0, 3, 20, 100}) {
        const float s = std::ldexp(1.0f, e);
        for (int k0 = -127; k0 < 127; k0 += 31) {
            auto k = [&](int j) { return float((k0 + j + 127) % 254 - 127); };  // -127..126
            block([&](int j) { return j == 0 ? 127 * s : (k(j) + 0.5f) * s; });
            block([&](int j) { return j == 0 ? -127 * s : std::nextafter((k(j) + 0.5f) * s, inf); });
            block([&](int j) { return j == 31 ? 127 * s : std::nextafter((k(j) + 0.5f) * s, -inf); });
        }
    }
    // Random multiples of 0.5 (ties under any rounding of d), and random values with a random amax.
    for (int rep = 0; rep < 400; ++rep) {
        const float s = std::ldexp(1.0f, pick(rng) - 16);
        const int top = pick(rng);
        block([&](int j) { return j == top ? 127 * s : float(int(rng() % 509) - 254) * 0.5f * s; });
        const float scale = std::ldexp(1.0f + float(rng() % 1000) / 1000.0f, pick(rng) - 16);
        block([&](int) { return float(int(rng() % 2001) - 1000) / 1000.0f * scale; });
    }
    // Zeros, signed zeros, one non-zero value.
    block([](int) { return 0.0f; });
    block([](int j) { return j % 2 ? -0.0f : 0.0f; });
    block([](int j) { return j == 17 ? -3.0f : -0.0f; });
    // NaN at the start, in the middle, at the end, several; with values larger before the last
    // NaN than after it (the reset maximum gives quants beyond ±127, which wrap).
    for (int pos : {0, 1, 15, 16, 30, 31}) {
        block([&](int j) { return j == pos ? nan : float(32 - j); });
        block([&](int j) { return j == pos ? -nan : normal(rng); });
        block([&](int j) { return j == pos || j == (pos + 7) % 32 ? nan : float(j % 5) * 40.0f - 77.5f; });
        block([&](int j) { return j == pos ? from_bits(0x7f800001u) : float(j) - 10.5f; });  // signalling NaN
    }
    block([&](int) { return nan; });
    // Infinities: amax = inf gives d = inf, id = 0 and 0 * inf = NaN quants.
    for (int pos : {0, 13, 31}) {
        block([&](int j) { return j == pos ? inf : normal(rng); });
        block([&](int j) { return j == pos ? -inf : float(j); });
        block([&](int j) { return j == pos ? inf : (j == (pos + 1) % 32 ? nan : 1.0f); });
    }
    // Huge values (d rounds to F16 infinity), FLT_MAX, tiny amax whose 1/d overflows, mixed.
    block([](int j) { return (j % 2 ? -1.0f : 1.0f) * std::numeric_limits<float>::max(); });
    block([&](int j) { return j == 5 ? 3.0e38f : normal(rng) * 1e30f; });
    block([&](int j) { return j == 9 ? 1e5f : normal(rng); });
    block([](int j) { return from_bits(uint32_t(j + 1)); });                   // subnormals: 1/d = inf
    block([](int j) { return j == 3 ? 1e-38f : from_bits(uint32_t(j * 1000)); });
    // Random bit patterns (many NaNs and infinities among them).
    for (int rep = 0; rep < 2000; ++rep) block([&](int) { return from_bits(uint32_t(rng())); });
    return x;
}

}  // namespace

TEST_CASE("Q8_0 encoders agree byte for byte with ggml's reference quantizer", "[codec][isa]") {
    const std::vector<float> x = q8_0_inputs();
    const size_t n_blocks = x.size() / 32;
    const std::vector<std::byte> want = q8_0_reference(x);

    Unaligned out(want.size());
    generic().encode_q8_0(x.data(), out.data(), n_blocks);
    REQUIRE(std::memcmp(out.data(), want.data(), want.size()) == 0);

    std::vector<float> shifted(x.size() + 1);
    std::memcpy(shifted.data() + 1, x.data(), 4 * x.size());  // 4-byte aligned only
    for (const codec::Variants* v : fast_variants()) {
        INFO("variant " << v->name);
        std::memset(out.data(), 0x5a, want.size() + 1);
        v->encode_q8_0(shifted.data() + 1, out.data(), n_blocks);
        for (size_t b = 0; b < n_blocks; ++b)
            if (std::memcmp(out.data() + 34 * b, want.data() + 34 * b, 34) != 0) {
                std::string values;
                for (int j = 0; j < 32; ++j) values += std::to_string(bits(x[32 * b + j])) + " ";
                FAIL("block " << b << " differs; its values' bits: " << values);
            }
        REQUIRE(out.data()[want.size()] == std::byte(0x5a));  // nothing written past the end
    }

    // The public entry point, whichever variant it chose.
    std::vector<std::byte> pub(want.size());
    encode(TensorType::Q8_0, x, pub);
    CHECK(pub == want);
}

namespace {

// Super-blocks of 256 values for the k-quant encoders: every sub-block of 16 or 32 values may
// take its own scale, so a super-block mixes flat, zero and busy sub-blocks.
std::vector<float> k_quant_inputs() {
    std::vector<float> x;
    std::mt19937 rng(20261126);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> pick(0, 255);
    const float huge = std::numeric_limits<float>::max();
    auto super_block = [&](auto&& value) {
        for (int j = 0; j < 256; ++j) x.push_back(value(j));
    };

    // Gaussian super-blocks over many scales, subnormal to near overflow.
    for (int e = -149; e <= 120; e += 3)
        for (int rep = 0; rep < 8; ++rep) super_block([&](int) { return std::ldexp(normal(rng), e); });
    // A different scale per 16 values (model weights look like this), and per 32.
    for (int rep = 0; rep < 1500; ++rep) {
        float scale[16];
        for (float& s : scale) s = std::ldexp(1.0f, pick(rng) % 40 - 30);
        super_block([&](int j) { return normal(rng) * scale[j / 16]; });
        super_block([&](int j) { return normal(rng) * scale[j / 32]; });
    }
    // Zeros, signed zeros; all values equal (positive, negative); equal within each sub-block.
    super_block([](int) { return 0.0f; });
    super_block([](int j) { return j % 3 ? -0.0f : 0.0f; });
    for (float v : {1.0f, -1.0f, 3.5e-3f, -7.25e5f, 1e-40f})
        super_block([&](int) { return v; });
    super_block([](int j) { return float(j / 16) - 7.0f; });
    super_block([](int j) { return float(j / 32) * 0.25f; });
    // One value far above the rest, at several places; one non-zero value among zeros.
    for (int pos : {0, 15, 16, 31, 100, 255}) {
        super_block([&](int j) { return j == pos ? 1e30f : normal(rng); });
        super_block([&](int j) { return j == pos ? -huge : normal(rng) * 1e-3f; });
        super_block([&](int j) { return j == pos ? 2.0f : 0.0f; });
    }
    // Subnormals only, and subnormals among tiny normals.
    for (int rep = 0; rep < 20; ++rep) {
        super_block([&](int) { return from_bits(uint32_t(rng() % 0x800000u) | (rng() % 2 ? 0x80000000u : 0u)); });
        super_block([&](int) { return std::ldexp(normal(rng), -130); });
    }
    // Negative values only (the mins of Q2_K/Q4_K/Q5_K), and positive only.
    for (int rep = 0; rep < 50; ++rep) {
        super_block([&](int) { return -std::fabs(normal(rng)) - 0.5f; });
        super_block([&](int) { return std::fabs(normal(rng)) * 1e-2f; });
    }
    // Values on a grid (quants that tie exactly), and sub-blocks zeroed among busy ones.
    for (int rep = 0; rep < 100; ++rep) {
        const int zero_from = pick(rng) / 32 * 32;
        super_block([&](int) { return float(int(rng() % 64) - 32) * 0.125f; });
        super_block([&](int j) { return j >= zero_from && j < zero_from + 32 ? 0.0f : normal(rng); });
    }
    // Infinities among normal values, and random bit patterns (huge, tiny, infinite) but no NaN:
    // where two NaNs of different payloads meet in an a + b or a * b, x86 keeps the first
    // operand's, and which one is first is the compiler's choice (the scalar code does not pin
    // it either). So a NaN's quants are not reproducible, in ggml neither.
    const float inf = std::numeric_limits<float>::infinity();
    for (int pos : {0, 40, 255}) {
        super_block([&](int j) { return j == pos ? inf : normal(rng); });
        super_block([&](int j) { return j == pos || j == pos / 2 ? -inf : normal(rng); });
    }
    for (int rep = 0; rep < 30; ++rep)
        super_block([&](int) {
            uint32_t u;
            do u = uint32_t(rng());
            while ((u & 0x7fffffffu) > 0x7f800000u);
            return from_bits(u);
        });
    return x;
}

}  // namespace

TEST_CASE("Q2_K, Q4_K, Q5_K and Q6_K encoders agree byte for byte with the generic ones", "[codec][isa]") {
    const std::vector<float> x = k_quant_inputs();
    const size_t n_blocks = x.size() / 256;
    REQUIRE(n_blocks % 2 == 1);  // the AVX-512 encoders' lone last super-block is tested too
    std::vector<float> shifted(x.size() + 1);
    std::memcpy(shifted.data() + 1, x.data(), 4 * x.size());  // 4-byte aligned only

    using Member = codec::EncodeFn codec::Variants::*;
    for (auto [type, member] : {std::tuple{TensorType::Q2_K, Member(&codec::Variants::encode_q2_k)},
                                std::tuple{TensorType::Q4_K, Member(&codec::Variants::encode_q4_k)},
                                std::tuple{TensorType::Q5_K, Member(&codec::Variants::encode_q5_k)},
                                std::tuple{TensorType::Q6_K, Member(&codec::Variants::encode_q6_k)}}) {
        const size_t block_bytes = type_info(type).block_bytes;
        INFO(type_info(type).name);
        std::vector<std::byte> want(n_blocks * block_bytes);
        (generic().*member)(x.data(), want.data(), n_blocks);

        Unaligned out(want.size());
        for (const codec::Variants* v : fast_variants()) {
            INFO("variant " << v->name);
            std::memset(out.data(), 0x5a, want.size() + 1);
            (v->*member)(shifted.data() + 1, out.data(), n_blocks);
            for (size_t b = 0; b < n_blocks; ++b)
                if (std::memcmp(out.data() + block_bytes * b, want.data() + block_bytes * b, block_bytes) != 0)
                    FAIL("super-block " << b << " differs");
            REQUIRE(out.data()[want.size()] == std::byte(0x5a));  // nothing written past the end
            // Short runs from odd starting blocks: every way of pairing super-blocks.
            for (size_t start : {size_t(0), size_t(1), size_t(7)})
                for (size_t n = 1; n <= 4; ++n) {
                    std::memset(out.data(), 0x5a, n * block_bytes + 1);
                    (v->*member)(x.data() + 256 * start, out.data(), n);
                    REQUIRE(std::memcmp(out.data(), want.data() + block_bytes * start, n * block_bytes) == 0);
                    REQUIRE(out.data()[n * block_bytes] == std::byte(0x5a));
                }
        }

        // The public entry point, whichever variant it chose.
        std::vector<std::byte> pub(want.size());
        encode(type, x, pub);
        CHECK(pub == want);
    }
}
