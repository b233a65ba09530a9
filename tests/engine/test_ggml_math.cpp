// ggml's exponentials (ggml_math.hpp) against what llama.cpp's own CPU backend computed. The
// values were printed by a program linked with llama.cpp c392e50's libggml (AVX-512 build,
// GGML_NATIVE=ON, AMD EPYC Zen 5, 2026-12-02) that ran ggml_silu on silu_in and ggml_soft_max
// on softmax_in followed by 11 positions of -INFINITY (the mask of a KV cache padded to 48),
// one thread, and printed each float's bits.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "ggml_math.hpp"

using namespace qframe::engine;

namespace {

std::vector<float> floats(const std::vector<uint32_t>& bits) {
    std::vector<float> out;
    for (uint32_t b : bits) out.push_back(std::bit_cast<float>(b));
    return out;
}

const std::vector<uint32_t> silu_in{
        0xc2c80000, 0xc2b10000, 0xc2ae999a, 0xc1a00000, 0xc0b00000, 0xbf800000,
        0xbe99999a, 0xba83126f, 0x00000000, 0x3a83126f, 0x3f333333, 0x40200000,
        0x41200000, 0x41f00000, 0x42ae0000, 0x42b20000, 0x42c80000, 0x80000000,
        0x0da24260, 0x8da24260, 0x40490fd0, 0xc02df84d, 0x3f000000, 0xbf000000,
        0x417ec3ca, 0xc17ec3ca, 0x42280000, 0xc2280000, 0x377ba882, 0x40c00000,
        0xc0c00000, 0x3e000000, 0xc0533333, 0x408ccccd, 0xbf451eb8, 0x3f451eb8,
        0x4131999a, 0xc131999a, 0x42800000, 0xc2800000,
};
const std::vector<uint32_t> silu_out{
        0x80000000, 0x82dd2ec3, 0x83b51923, 0xb3310d40, 0xbcb76256, 0xbe89b2b0,
        0xbe02bb33, 0xba0301a8, 0x00000000, 0x3a032336, 0x3eef7a7e, 0x4013dcd9,
        0x411ffe24, 0x41f00000, 0x42ae0000, 0x42b20000, 0x42c80000, 0x80000000,
        0x0d224260, 0x8d224260, 0x4040bba5, 0xbe2c4f15, 0x3e9f597f, 0xbe414d03,
        0x417ec3c8, 0xb601e6da, 0x42280000, 0xa3deb9d5, 0x36fba8fe, 0x40bf8678,
        0xbc731199, 0x3d87fd57, 0xbdf06782, 0x408b17a2, 0xbe798996, 0x3f06bc53,
        0x413198ea, 0xb92fe47d, 0x42800000, 0x944b4ea4,
};
const std::vector<uint32_t> softmax_in{
        0x00000000, 0x3ff0fac6, 0x4036ce6d, 0x401c22de, 0x3f4e1229, 0xbfa6b365,
        0xc03a8ae3, 0xc05307e8, 0xc012cd9f, 0xbecc9305, 0x3fbc4869, 0x401a873e,
        0x3ffb5db7, 0x3e9d55fe, 0xbfe653fc, 0xc058e6ce, 0xc06f33bf, 0xc02d1518,
        0xbf4c93f4, 0x3f8783cc, 0x3ffc64ac, 0x3fbe5de7, 0xbe433820, 0xc012f531,
        0xc077367b, 0xc085a8fc, 0xc04753fd, 0xbf997016, 0x3f25592a, 0x3fc39f4c,
        0x3f814698, 0xbf3057be, 0xc032bb0a, 0xc08abcee, 0xc093b152, 0xc0618a68,
        0xbfcc97b1,
};
const std::vector<uint32_t> softmax_out{
        0x3c352144, 0x3d94c610, 0x3e44f47a, 0x3e01d56c, 0x3cca8f26, 0x3b44fdc2,
        0x3a1d2165, 0x39d658aa, 0x3a922ebc, 0x3bf2efe6, 0x3d45221f, 0x3dfd398f,
        0x3da15961, 0x3c764a59, 0x3aefa8c2, 0x39c38f28, 0x398a05c7, 0x3a41e8d1,
        0x3ba2ea44, 0x3d028895, 0x3da2a62e, 0x3d485e7b, 0x3c15b0d0, 0x3a91d476,
        0x3973917e, 0x3931e655, 0x3a00ad35, 0x3b5a7f6f, 0x3cacc50a, 0x3d50c460,
        0x3cf8a5a4, 0x3bb5e97a, 0x3a318792, 0x3917cbb1, 0x38e57cdb, 0x39aadda1,
        0x3b1283ea,
};

}  // namespace

TEST_CASE("SiLU as ggml computes it: its vector exp in blocks of 16, libm's for the rest", "[engine]") {
    // 40 values: two blocks of 16 through ggml_v_expf, 8 through expf; among them 0, -0, tiny,
    // overflowing and underflowing ones.
    std::vector<float> g = floats(silu_in);
    const std::vector<float> ones(g.size(), 1.0f);
    ggml_silu_mul(g.data(), ones.data(), g.size());
    for (size_t i = 0; i < g.size(); ++i) {
        INFO("value " << i << ": " << floats(silu_in)[i]);
        CHECK(std::bit_cast<uint32_t>(g[i]) == silu_out[i]);
    }
    // The multiplication by the up projection is one more rounding.
    std::vector<float> h = floats(silu_in), u(h.size(), 0.3f);
    ggml_silu_mul(h.data(), u.data(), h.size());
    for (size_t i = 0; i < h.size(); ++i) CHECK(std::bit_cast<uint32_t>(h[i]) == std::bit_cast<uint32_t>(floats(silu_out)[i] * 0.3f));
}

TEST_CASE("softmax as ggml computes it: vector exp, sums of 16 in float added in double", "[engine]") {
    std::vector<float> row = floats(softmax_in);  // 37 positions: the last block has 5, then the mask
    float max = -INFINITY;
    for (float v : row) max = std::max(max, v);
    const double sum = ggml_softmax_exp(row.data(), row.size(), max);
    const float inv = static_cast<float>(1.0 / sum);
    for (size_t i = 0; i < row.size(); ++i) {
        INFO("position " << i);
        CHECK(std::bit_cast<uint32_t>(row[i] * inv) == softmax_out[i]);
    }
}

TEST_CASE("ggml's exp: within 2 ulps of libm's, 0 and infinity beyond its range", "[engine]") {
    for (float x = -87.0f; x < 88.0f; x += 0.173f) {
        const float a = ggml_expf(x), b = std::exp(x);
        CHECK(std::abs(a - b) <= 2 * (std::nextafter(b, INFINITY) - b));
    }
    CHECK(ggml_expf(-200.0f) == 0.0f);
    CHECK(ggml_expf(-INFINITY) == 0.0f);
    CHECK(std::isinf(ggml_expf(200.0f)));
    CHECK(std::isnan(ggml_expf(NAN)));
}

// ggml_gelu over every F16 value (as F32), one thread, by a program linked with the same libggml
// (c392e50, 2026-12-05): ggml_new_tensor_1d(F32, 65536) holding ggml_fp16_to_fp32(i) for each bit
// pattern i, ggml_gelu, ggml_graph_compute_with_ctx, the outputs' bits written out. The fact kept
// is the FNV-1a (64-bit) hash of the little-endian output bits of the 63490 inputs that are not
// NaN, in order of i; a tanh formula without ggml's F16 table differs from it at most inputs.
TEST_CASE("GELU as ggml computes it: the input rounded to F16, ggml's table of F16 results", "[engine]") {
    uint64_t hash = 0xcbf29ce484222325ull;
    size_t n = 0;
    for (uint32_t i = 0; i < 65536; ++i) {
        const float x = static_cast<float>(std::bit_cast<_Float16>(static_cast<uint16_t>(i)));
        if (std::isnan(x)) continue;
        float g = x, u = 1.0f;
        ggml_gelu_mul(&g, &u, 1);
        const uint32_t bits = std::bit_cast<uint32_t>(g);
        for (int b = 0; b < 4; ++b) {
            hash ^= (bits >> (8 * b)) & 0xff;
            hash *= 0x100000001b3ull;
        }
        ++n;
    }
    CHECK(n == 63490);
    CHECK(hash == 0xd7ff6b0c09dd0d41ull);
    // Outside (-10, 10) ggml takes 0 or x itself; the up projection's product is one more rounding.
    float g[3] = {-12.5f, 11.0f, 1.0f}, u[3] = {2.0f, 0.5f, 3.0f};
    ggml_gelu_mul(g, u, 3);
    CHECK(g[0] == 0.0f);
    CHECK(g[1] == 5.5f);
    CHECK(g[2] == 0.84130859375f * 3.0f);
}

TEST_CASE("GELU in f32 numerics: the tanh form in double", "[engine]") {
    CHECK(gelu_exact(0.0f) == 0.0f);
    CHECK(std::abs(gelu_exact(1.0f) - 0.8411920f) < 1e-6f);
    CHECK(std::abs(gelu_exact(-3.0f) + 0.0036373f) < 1e-6f);
}
