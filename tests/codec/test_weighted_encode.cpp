// The importance-weighted encoders (codec/weighted_encode.cpp) against ggml's quantize_* with
// quant_weights, by the SHA-256 of their output over deterministic rows and column weights.
//
// The digests are facts from llama.cpp c392e50's libggml-base.so: a C harness with a copy of the
// generator below calls quantize_q4_0(x, dst, 1, n, w) … quantize_q6_K (then quantize_iq4_nl,
// quantize_iq4_xs, declared by hand: ggml-quants.h is internal) for every case in this
// order, after ggml_init() (which fills the F16 table the k-quants read), and writes the bytes:
//   gcc -O2 ref.c -I$LLAMA/ggml/include -L$LLAMA/build/bin -lggml-base -lm -o ref
//   LD_LIBRARY_PATH=$LLAMA/build/bin ./ref && sha256sum out_*.bin
// The codec kernels are hidden inside libqframe_core, so the test goes through encode_weighted(),
// which runs them one row at a time.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "qframe/codec.hpp"
#include "qframe/sha256.hpp"
#include "qframe/types.hpp"

using namespace qframe;

namespace {

// Integer LCG; every float below comes from an integer by one correctly rounded conversion and
// exact scalings, so the inputs are the same on every IEEE machine (no libm).
struct Lcg {
    uint64_t state;
    uint32_t next24() {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return uint32_t(state >> 40);
    }
    // Irwin-Hall(4) - 2: roughly normal, standard deviation 0.58.
    float gauss() {
        const auto a = int32_t(next24() + next24() + next24() + next24()) - (1 << 25);
        return float(a) * (1.0f / 16777216.0f);
    }
};

constexpr int kKinds = 8;
constexpr int kLengths[] = {256, 512, 768};

// Row `kind` of n values: plain, outliers, all zero, below ggml's GROUP_MAX_EPS, tiny, all
// positive, block-varying scale, sparse.
std::vector<float> make_row(int kind, int n) {
    Lcg g{0x9E3779B97F4A7C15ULL ^ uint64_t(kind * 1000 + n)};
    std::vector<float> x(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        const float v = g.gauss();
        float& xi = x[size_t(i)];
        switch (kind) {
        case 0: xi = v; break;
        case 1: xi = g.next24() % 37 == 0 ? v * 30.0f : v * 0.02f; break;
        case 2: xi = 0.0f; break;
        case 3: xi = v * 1e-20f; break;
        case 4: xi = v * 1e-6f; break;
        case 5: xi = v + 3.0f; break;
        case 6: xi = v * float(1 << ((i / 32) % 8)) * 0.0625f; break;
        default: xi = g.next24() % 3 == 0 ? v : 0.0f; break;
        }
    }
    return x;
}

// Column weights over ~6 decades; set 1 zeroes every 7th column and columns 64..95 (a whole
// legacy block, whole k-quant sub-blocks).
std::vector<float> make_weights(int set, int n) {
    Lcg g{0xD1B54A32D192ED03ULL};
    std::vector<float> w(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        const float m = float(0x800000u + (g.next24() >> 1)) / 8388608.0f;  // [1, 2), exact
        const int e = int(g.next24() % 21) - 10;
        w[size_t(i)] = std::ldexp(m, e);
        if (set == 1 && (i % 7 == 3 || (i >= 64 && i < 96))) w[size_t(i)] = 0.0f;
    }
    return w;
}

std::vector<std::byte> encode_row(TensorType type, const std::vector<float>& x, const std::vector<float>& w) {
    std::vector<std::byte> out(size_t(*byte_size(type_info(type), x.size())));
    encode_weighted(type, x, out, x.size(), w);
    return out;
}

struct Expected {
    TensorType type;
    const char* sha256;  // of the outputs of all cases, lengths × kinds × weight sets, in order
    int weight_sets = 2;  // IQ2_XXS, IQ1_*: set 0 only (ggml aborts on set 1's all-zero groups)
};
constexpr Expected kExpected[] = {
    {TensorType::Q4_0, "154e2e3e3bd57452e1aea24153e6e0b0f1bfae373b73d07fa51013216d899648"},
    {TensorType::Q4_1, "4b87a6de793c3f8a072f7d852324a5f64ff6494c0cb84ee85ada85aa0075d7f0"},
    {TensorType::Q5_0, "6ee5ec13a29f0acb7aa4393ef9ab762fa9472ec7ec930ca929a36f3d3ca0169e"},
    {TensorType::Q5_1, "289feb3b97aa7ba26f527004ae8a142bebc7065226ff10bee6cd33fa2bfff7af"},
    {TensorType::Q2_K, "92a9ff13148a86af461689b312fb3a4fd7cb26f1c556a33cdcbc7e5c037c0ada"},
    {TensorType::Q3_K, "01db94bb91689260e835865415f25a68e172dc70f45a284fa46a5c741091b23e"},
    {TensorType::Q4_K, "51686b27f41304a6fd6a0dd966c5d5a37b6146b8cb1bdb5269729bbe2c05cff9"},
    {TensorType::Q5_K, "b0149c8c63f9e5e921f4bc21dd5db959041c9c8415e4794fb5cdc012722b3a3c"},
    {TensorType::Q6_K, "7c729cf0eb728aadb7cbb04b7e1128ae495d53a5ff5e48766e0b5e2edab3260e"},
    // quantize_iq4_nl / quantize_iq4_xs(x, dst, 1, n, w), from the same harness
    {TensorType::IQ4_NL, "0e2b3bf8ba3114c231e2ab500c017851f9a21759e2b8bbcebd03af3f6696024c"},
    {TensorType::IQ4_XS, "925b4517dc729a8155f42783986554d18bf60eb1a8d065d11ba06e20a869c1c0"},
    // quantize_iq3_xxs / quantize_iq3_s, after ggml_quantize_init for both
    {TensorType::IQ3_XXS, "c7e23874d8a368941b6adb14947b097ccf9b237aafc56d2472f3bd932fc8d4de"},
    {TensorType::IQ3_S, "a824a96e1b5eb736324ee1151acac74be8ea5a8b3ad3fd4bc40a883ea4ffccb1"},
    // quantize_iq2_xxs / quantize_iq2_xs, after ggml_quantize_init for both
    {TensorType::IQ2_XXS, "9d46e652bc07c59f55c6f01db58daa6233cd12ed0d26284e10be22b8dd4a1eec", 1},
    {TensorType::IQ2_XS, "3baf90f604a27574b556fc707d5218f34903452fcf9b726673829f82f4e05fb1"},
    {TensorType::IQ2_S, "4f848de4b96f012cfe39e7c1ecb2da3135010e258411db0df951dbeb4835d22a"},  // quantize_iq2_s
    // quantize_iq1_s / quantize_iq1_m, set 0 only (ggml aborts on set 1's all-zero groups)
    {TensorType::IQ1_S, "376921ae0da036a28e83b01cda6c8b58c81610015074f5609ec8ca80513d5cae", 1},
    {TensorType::IQ1_M, "6bcf28aa86d952e5c31b86f205e8f269194632e10909146c6d91eeea761f8219", 1},
};

}  // namespace

TEST_CASE("weighted encoders match ggml's quantize_* with quant_weights", "[codec][weighted]") {
    for (const Expected& e : kExpected) {
        DYNAMIC_SECTION(type_name(e.type)) {
            REQUIRE(weighs_importance(e.type));
            Sha256 digest;
            for (const int n : kLengths)
                for (int kind = 0; kind < kKinds; ++kind)
                    for (int set = 0; set < e.weight_sets; ++set) {
                        const auto out = encode_row(e.type, make_row(kind, n), make_weights(set, n));
                        digest.update(out);
                    }
            CHECK(digest.hex() == e.sha256);
        }
    }
}

// A weighted path that fell back to the reference encoder would still pass on the all-zero rows;
// on a plain row every type's search lands elsewhere.
TEST_CASE("weighted encoding differs from the reference encoder", "[codec][weighted]") {
    const auto x = make_row(0, 256);
    const auto w = make_weights(0, 256);
    for (const Expected& e : kExpected) {
        if (requires_importance(e.type)) continue;  // no reference encoder to differ from
        DYNAMIC_SECTION(type_name(e.type)) {
            std::vector<std::byte> plain(size_t(*byte_size(type_info(e.type), x.size())));
            encode(e.type, x, plain);
            CHECK(encode_row(e.type, x, w) != plain);
        }
    }
}

// ggml encodes IQ2_XXS, IQ2_XS and IQ1_S only with importance (it asserts one); qframe says so.
// Where a whole IQ2_XXS group has zero importance, ggml's first guess is 0/0 and it aborts;
// qframe throws.
TEST_CASE("IQ2_XXS, IQ2_XS and IQ1_S need importance, and an all-zero group of it is refused, not a crash", "[codec][weighted]") {
    const auto x = make_row(0, 256);
    std::vector<std::byte> out(size_t(*byte_size(type_info(TensorType::IQ2_XXS), x.size())));
    CHECK(requires_importance(TensorType::IQ2_XXS));
    CHECK(requires_importance(TensorType::IQ2_XS));
    CHECK(requires_importance(TensorType::IQ1_S));
    CHECK_FALSE(requires_importance(TensorType::IQ1_M));
    CHECK_FALSE(requires_importance(TensorType::IQ3_XXS));
    CHECK_THROWS_WITH(encode(TensorType::IQ2_XXS, x, out), Catch::Contains("only with an importance matrix"));
    auto w = make_weights(0, 256);
    std::fill(w.begin() + 32, w.begin() + 64, 0.0f);
    CHECK_THROWS_AS(encode_weighted(TensorType::IQ2_XXS, x, out, x.size(), w), std::domain_error);
}

TEST_CASE("the IQ searches refuse a row with an infinity or a NaN, where ggml aborts", "[codec][weighted]") {
    auto x = make_row(0, 256);
    x[77] = std::numeric_limits<float>::infinity();
    const std::vector<float> w(256, 1.0f);
    for (TensorType t : {TensorType::IQ1_S, TensorType::IQ1_M, TensorType::IQ2_XXS, TensorType::IQ2_XS, TensorType::IQ2_S, TensorType::IQ3_XXS,
                         TensorType::IQ3_S}) {
        DYNAMIC_SECTION(type_name(t)) {
            std::vector<std::byte> out(size_t(*byte_size(type_info(t), x.size())));
            CHECK_THROWS_WITH(encode_weighted(t, x, out, x.size(), w), Catch::Contains("value 77 of the row is not finite"));
        }
    }
}
