// The quantized-domain products (int8_product.hpp) against what llama.cpp's own CPU backend
// computed, bit for bit, for the types ggml sums in float lanes (int8_kernel.hpp's Sums:
// all but Q4_0, whose repacked kernels are another path of ggml's).
// The values were printed by a program linked with llama.cpp c392e50's libggml (AVX-512 build,
// GGML_NATIVE=ON, AMD EPYC Zen 5, 2026-12-03): for each type, ggml_quantize_chunk of the weights
// below (8 rows of 256), ggml_mul_mat with the 4 tokens below (llamafile's tinyBLAS for Q8_0 and
// Q5_0, the AVX2 branches of ggml_vec_dot_q4_1_q8_1 … ggml_vec_dot_q6_K_q8_K for the others)
// computed by ggml_graph_compute_with_ctx on one thread, each float's bits printed; with 1 token
// ggml gave the first token's values again.
// Weights and tokens: the 64-bit LCG s ← s·6364136223846793005 + 1442695040888963407 from s = 1,
// r = (s >> 40) / 2²⁴ · 2 − 1; 8 × 256 weights r, then 4 × 256 activations 4r.
#include <catch2/catch.hpp>

#include <bit>
#include <cstdint>
#include <span>
#include <vector>

#include "ggml_dot.hpp"
#include "ggml_rounding.hpp"
#include "int8_product.hpp"
#include "int8_weights.hpp"
#include "qframe/codec.hpp"

using namespace qframe;
using namespace qframe::engine;

namespace {

const std::vector<uint32_t> q8_0_out{
        0x40d10539, 0x41826b18, 0x41c68614, 0xc0712168, 0x4043fe82, 0xc21987ab, 0x4179b3ed, 0x3f742b88,
        0xc1472c48, 0x402d4e74, 0x3f651370, 0xc1285612, 0x415e391e, 0xc0ace751, 0xc0375f80, 0x40082c27,
        0x417d535c, 0xc199f85d, 0xc1a3fb01, 0xbd942f00, 0xc206bc87, 0xc126ab66, 0x412bbebf, 0xc104f8fa,
        0x41826e77, 0x3f5d04b0, 0xc08535ca, 0xc18e2778, 0x412f249f, 0xc1957a88, 0x420dacc4, 0xc18e3a90,
};
const std::vector<uint32_t> q5_0_out{
        0x40d10fd6, 0x417b8084, 0x41c101f5, 0xc08da082, 0x4041cd8c, 0xc21b74b4, 0x41810230, 0x40152a1a,
        0xc139ca03, 0x402d6fe8, 0x3f56f470, 0xc12811a2, 0x416c33ce, 0xc0a6c29e, 0xc031aa7c, 0x4022fdef,
        0x4182de07, 0xc1985dc8, 0xc1a4118f, 0x3fcf2a30, 0xc2043d89, 0xc1378290, 0x41341d3e, 0xc1080a60,
        0x418120b4, 0x3fd3e2b0, 0xc08733d4, 0xc18d6bd4, 0x4126b741, 0xc19a0132, 0x4205f9e7, 0xc18c5fc2,
};
const std::vector<uint32_t> q4_1_out{
        0x40d4703c, 0x416afdda, 0x41c7591d, 0xc07e2f2c, 0x3fdd0940, 0xc2213633, 0x417450f1, 0xbcdb6e00,
        0xc1422a1f, 0xbed922c0, 0x3f8979f8, 0xc137de3e, 0x4148d7f5, 0xc0adc8f8, 0xc07f60b8, 0x3f443f30,
        0x418147eb, 0xc1a5a96f, 0xc1a30607, 0xc0201b38, 0xc20102f0, 0xc156cf9b, 0x41046c42, 0xc0c09714,
        0x41629ef0, 0x40418cc0, 0xc0685800, 0xc181fc16, 0x41354818, 0xc19693b0, 0x420b1428, 0xc17deddc,
};
const std::vector<uint32_t> q5_1_out{
        0x40b9e43c, 0x41869d01, 0x41c8d717, 0xc06be7e8, 0x4041dfb0, 0xc215e561, 0x418048a4, 0x3fb38bc8,
        0xc13f6c14, 0x403da7e0, 0x3f1fdb40, 0xc11bcfab, 0x416159b6, 0xc0bc1c0c, 0xc0544e40, 0x3fe2d88e,
        0x417a627a, 0xc19fb558, 0xc1a8f288, 0x3e8b5dc0, 0xc204ee2a, 0xc135cd2a, 0x41261a02, 0xc0f79828,
        0x41812050, 0x3f90c760, 0xc09286d0, 0xc189ce28, 0x413a5730, 0xc1962467, 0x420bea22, 0xc18e7262,
};
const std::vector<uint32_t> q2_K_out{
        0x40ea3c40, 0x41b3a05d, 0x41ee0744, 0xc1134ce8, 0xbfb3de80, 0xc22077cd, 0x40fd4c44, 0xbf157380,
        0xc06cc800, 0xbe041180, 0xbfdcbff0, 0xc17df406, 0x4142de22, 0xc0f01491, 0xbf6c2ab0, 0x4025827c,
        0x4124b324, 0xc13aeaf4, 0xc1b009c1, 0xc0b4de48, 0xc20a8aba, 0xc15d81f5, 0x410c69a6, 0xc0d50268,
        0x41af7bd2, 0x3fe94240, 0x3f276880, 0xc184e084, 0x405fb8e8, 0xc2029100, 0x41f20a60, 0xc18a1e04,
};
const std::vector<uint32_t> q3_K_out{
        0x40f27bcc, 0x4181ac7a, 0x41b0c009, 0xc068a988, 0x40e8592a, 0xc21bdeba, 0x41976e23, 0xbff559fc,
        0xc17439fb, 0x4088ae76, 0xbe4a0f40, 0xc10b2334, 0x417d6c1c, 0xbf8eac48, 0xc0362bc8, 0xbed31de8,
        0x413a8cb0, 0xc1898fd6, 0xc1a4fe50, 0x3fdf14d8, 0xc1eb7d24, 0xc135ee81, 0x417469a0, 0xc11e6bc8,
        0x41680f27, 0x3fd5ef58, 0xc0d0f720, 0xc1ab6cb4, 0x40f99ece, 0xc1889046, 0x421005bc, 0xc1b7fe3e,
};
const std::vector<uint32_t> q4_K_out{
        0x40fa31c8, 0x417b066c, 0x41c58dea, 0xc08acbfa, 0x407dd218, 0xc21cea88, 0x41819201, 0x3fad0b20,
        0xc127684c, 0x3f487760, 0x4041b794, 0xc12b5ac1, 0x414ee134, 0xc0538644, 0xc08f6334, 0x3f7e2e34,
        0x4174b6e0, 0xc1892035, 0xc1adf902, 0x3f9ed3b0, 0xc2075f48, 0xc11a3daf, 0x412e1e3c, 0xc0f81690,
        0x417bf020, 0x4013e710, 0xc0521970, 0xc1865653, 0x411ca77c, 0xc1931d90, 0x420c0013, 0xc1930ba8,
};
const std::vector<uint32_t> q5_K_out{
        0x40e5028f, 0x417f04ce, 0x41c5a66f, 0xc05ed3eb, 0x40365dcc, 0xc21886e4, 0x417341d8, 0x3e60dd60,
        0xc1453182, 0x407f1369, 0x3f179918, 0xc12d1544, 0x4157545f, 0xc09cfd71, 0xc052168b, 0x4006cba9,
        0x416c75da, 0xc1981537, 0xc1ac29e0, 0xbf870a30, 0xc2055d51, 0xc125abd9, 0x4131c4a0, 0xc102b89c,
        0x4187978e, 0x3fba7c00, 0xc06edc40, 0xc191bfd8, 0x41325268, 0xc19a138b, 0x420d4cc8, 0xc194abdf,
};
const std::vector<uint32_t> q6_K_out{
        0x40d34a69, 0x4187f5ca, 0x41c38fe3, 0xc0659198, 0x40598670, 0xc21ab69f, 0x417bf096, 0x3edb4ee0,
        0xc142ab21, 0x4024af94, 0x3ef59520, 0xc1287640, 0x4159866a, 0xc0b37994, 0xc041deb0, 0x400b6e24,
        0x417a5fa6, 0xc1990f97, 0xc1a45c0c, 0xbeec6780, 0xc206e1ca, 0xc126ce3e, 0x41366a9c, 0xc1080f72,
        0x4182516e, 0x3f880e90, 0xc0894398, 0xc18a03f0, 0x412a8eae, 0xc19ad8a9, 0x420d8e28, 0xc192fae7,
};
// IQ4_NL (tinyBLAS_Q0_AVX, as Q8_0) and IQ4_XS (ggml_vec_dot_iq4_xs_q8_K's AVX2 branch): the same
// program linked with the same commit's libggml, AVX2 build (GGML_NATIVE=ON, 2 cores without
// AVX-512, 2026-12-07). One token of IQ4_NL goes through ggml_vec_dot_iq4_nl_q8_0 instead, which
// sums even and odd blocks apart (other values): the engine runs IQ4 panels from 32 tokens on.
const std::vector<uint32_t> iq4_nl_out{
        0x40be67c4, 0x4171eb7f, 0x41b2397a, 0xc03658c8, 0x40466828, 0xc222194f, 0x41725f3a, 0x40196c9c,
        0xc12d1996, 0x3fa0bdd0, 0x4025ec0c, 0xc111707c, 0x416a2c6b, 0xc098c148, 0xbff74618, 0xbf3dd00c,
        0x41620022, 0xc194ea7d, 0xc19f7d5c, 0x3ddbe900, 0xc20b3d56, 0xc11d1ee0, 0x41452300, 0xc0e804a2,
        0x4162a75e, 0xbf488500, 0xc06368e0, 0xc181283d, 0x412b5d6a, 0xc17ccb08, 0x420ba5fe, 0xc1902fd4,
};
const std::vector<uint32_t> iq4_xs_out{
        0x40cb38a2, 0x4179f387, 0x41b19348, 0xc03706e0, 0x403442ce, 0xc21febe6, 0x416ed477, 0x400ddddc,
        0xc12a91b8, 0x3fc67d34, 0x407414fc, 0xc11e5aac, 0x4173d3ff, 0xc0a30afc, 0xc0232ae4, 0xbe544600,
        0x4160ca1e, 0xc19c20a0, 0xc1a09bfe, 0x3ed8cd80, 0xc20b6c2b, 0xc132b492, 0x41433b2e, 0xc0f6615f,
        0x41663f98, 0x3eaf6a80, 0xc089e7e0, 0xc183050a, 0x41241a56, 0xc17826d6, 0x4209f06c, 0xc194819f,
};

// The lattice types (ggml_vec_dot_iq2_xxs_q8_K … iq3_s_q8_K, AVX2 branches), likewise, their
// weights encoded with an importance of 1 + (j mod 5)/2 for column j (ggml_quantize_chunk's
// imatrix argument; IQ2_XXS and IQ2_XS need one).
const std::vector<uint32_t> iq2_xxs_out{
        0x3f260e70, 0x413c8426, 0x41fdb87b, 0xc0aeeb0c, 0x4099d9a0, 0xc2036684, 0x40ec8d38, 0xbfcb01b4,
        0xc185bb26, 0xbf7d6450, 0xbe886f80, 0xc0a63c66, 0x417ddcb4, 0xc1178d65, 0xc0ccc742, 0xbf790220,
        0x4196ab92, 0xc1acf898, 0xc1a8c372, 0xc11cd3c7, 0xc20a2580, 0x4076b7a4, 0x412442d0, 0xc16e070e,
        0x412ad4a8, 0xc130beea, 0xc082e0f8, 0xc186a99b, 0x4180978a, 0xc1985dbe, 0x4216f9e4, 0xc117c770,
};
const std::vector<uint32_t> iq2_xs_out{
        0x41296f74, 0x4202bedc, 0x41d80d25, 0xbd8e9800, 0x40b2b3a0, 0xc226f53d, 0x4171169c, 0xbfc89fb8,
        0xc124cfbf, 0xc0b22a81, 0x40888103, 0xc152e724, 0x41603bc6, 0x405a95fb, 0xc0dc88ae, 0x408d2994,
        0x41e47758, 0xc1dd634e, 0xc1c2ec9d, 0x3f8be850, 0xc22b5c82, 0xc1299865, 0xbf6a5a20, 0xc15fa290,
        0x41872044, 0xc0e1eb32, 0xc10095b0, 0xc182a0e8, 0x412add0a, 0xc1bcbf70, 0x421f20c9, 0xc15ae782,
};
const std::vector<uint32_t> iq2_s_out{
        0x417e3add, 0x40f15bfc, 0x418de224, 0x3ea67c80, 0x408f7312, 0xc1e8fb0c, 0x41a1fd5a, 0x409c31b2,
        0xc0989980, 0x3ff2d8fe, 0xbf6e5dc0, 0xc15c2c8b, 0x4109e885, 0xc0a8be98, 0xc00e0d18, 0x3f798ec0,
        0x41bd506a, 0xc168c961, 0xc11badb1, 0xc1388e0e, 0xc2133bfa, 0xc1407152, 0x415129dc, 0x4091ae48,
        0x41a26e25, 0xbf875620, 0x4106afb3, 0xc18c3e5d, 0x414e1b60, 0xc1ac4fc2, 0x42233323, 0xc1a97937,
};
const std::vector<uint32_t> iq3_xxs_out{
        0x4141363e, 0x41903e8f, 0x41993e24, 0xbfdb4b20, 0x41076984, 0xc2093a38, 0x418a30b6, 0x4025065a,
        0xc105edc2, 0xc0b57254, 0x40c1f500, 0xc11ecab0, 0x417daf67, 0xc0be67a4, 0xc0526b68, 0x40b981aa,
        0x414e4e44, 0xc18c4297, 0xc1a11c0f, 0xbf04df50, 0xc2117f9b, 0xc114ac5a, 0x410943af, 0xc11d0a67,
        0x4159a35c, 0xbe2d9d80, 0xc0d02cc0, 0xc186658d, 0x41607848, 0xc1b8dfd7, 0x421b214e, 0xc1aaf82a,
};
const std::vector<uint32_t> iq3_s_out{
        0x40e32862, 0x414a8ea7, 0x41efd18e, 0xc00e3428, 0x40fb6085, 0xc20e034e, 0x4181d984, 0x40582b20,
        0xc11fc8c3, 0x40573272, 0xbec6cfe0, 0xc1057c96, 0x4124af9d, 0xc061ceef, 0xc06a607c, 0x40262e49,
        0x41387650, 0xc1ab8d92, 0xc1c94805, 0x3ff30040, 0xc1fe25d2, 0xc11d3fe4, 0x40250f98, 0xc0ee0fec,
        0x4149ed8a, 0xbfe83b60, 0xc002f2e8, 0xc1826abe, 0x41206068, 0xc18a4cd8, 0x420f61ea, 0xc1a0cd54,
};

// IQ1_S, IQ1_M (with that importance) and TQ1_0, TQ2_0 (without): ggml_vec_dot_iq1_*_q8_K and
// vec_dot_tq*_q8_K, AVX2 branches.
const std::vector<uint32_t> iq1_s_out{
        0x40b55119, 0x4192e6e1, 0x420de85c, 0xc17be54b, 0xbf3d21d8, 0xc245d4b5, 0x41758ed2, 0xc13ca736,
        0xc0828896, 0x412195aa, 0x411899af, 0xc1b5709d, 0x41920e29, 0x40a6991a, 0x409d6378, 0xc0c4857a,
        0x41b1c236, 0xc1b125f7, 0xc1fc4ea1, 0xc112cd76, 0xc235d5dc, 0xc00083a5, 0x40336e31, 0xc0603648,
        0x414b1400, 0x3fac52d3, 0xc0fdc7ea, 0xc202c6ff, 0x4144930c, 0xbe45de40, 0x41b5136f, 0xc13e6a25,
};
const std::vector<uint32_t> iq1_m_out{
        0x41600494, 0x4182d872, 0x41ff720c, 0xc1b29294, 0x40e64ae6, 0xc23cdd65, 0x418499a7, 0xc02753e8,
        0xc0ce60a7, 0x4002a19a, 0xc05d96e3, 0xc19d977a, 0x41afff24, 0x40d75a12, 0x3eee98d0, 0xc05823b6,
        0x41c7db48, 0xc1ee4004, 0xc1b64826, 0xc149b076, 0xc22ae54f, 0xc154552f, 0xc025de85, 0x3f8d107c,
        0x419cd617, 0x409728cc, 0xbf3fffcc, 0xc21ab147, 0x403d2c7c, 0xc0c33826, 0x4208b472, 0xc18575ba,
};
const std::vector<uint32_t> tq1_0_out{
        0x415fb560, 0x420f7844, 0x421ae021, 0xc10be1ce, 0x40a891f0, 0xc257757a, 0x418f83f0, 0xc151d2b8,
        0x400bf7a0, 0xbfb83a80, 0x40027b24, 0xc1ae65ca, 0x403868d0, 0xc0f4a9a4, 0xc0ecfd2e, 0x40f13ddf,
        0x41f0f194, 0xc19a1830, 0xc1c176a2, 0xc00f4248, 0xc214aa89, 0xc1135fde, 0xc0190eb8, 0xc2062e4a,
        0x3e7f1d00, 0xc13d9e94, 0xc0d3181c, 0xc0606de8, 0x41851d18, 0xc1952ba0, 0x41e3767c, 0xc1d869f7,
};
const std::vector<uint32_t> tq2_0_out{
        0x415fb560, 0x420f7844, 0x421ae021, 0xc10be1ce, 0x40a891f0, 0xc257757a, 0x418f83f0, 0xc151d2b8,
        0x400bf7a0, 0xbfb83a80, 0x40027b24, 0xc1ae65ca, 0x403868d0, 0xc0f4a9a4, 0xc0ecfd2e, 0x40f13ddf,
        0x41f0f194, 0xc19a1830, 0xc1c176a2, 0xc00f4248, 0xc214aa89, 0xc1135fde, 0xc0190eb8, 0xc2062e4a,
        0x3e7f1d00, 0xc13d9e94, 0xc0d3181c, 0xc0606de8, 0x41851d18, 0xc1952ba0, 0x41e3767c, 0xc1d869f7,
};

std::vector<float> lcg_values(size_t count, float scale, uint64_t& s) {
    std::vector<float> out(count);
    for (auto& v : out) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        v = scale * (static_cast<float>(static_cast<uint32_t>(s >> 40)) / 16777216.0f * 2 - 1);
    }
    return out;
}

}  // namespace

TEST_CASE("Q8_0, Q5_0, Q4_1, Q5_1, K-quant and IQ products equal llama.cpp's bit for bit", "[engine][avx2]") {
    constexpr size_t rows = 8, n = 256, tokens = 4;
    uint64_t s = 1;
    const std::vector<float> w = lcg_values(rows * n, 1.0f, s), x = lcg_values(tokens * n, 4.0f, s);
    const std::pair<TensorType, const std::vector<uint32_t>*> cases[] = {
            {TensorType::Q8_0, &q8_0_out}, {TensorType::Q5_0, &q5_0_out}, {TensorType::Q4_1, &q4_1_out}, {TensorType::Q5_1, &q5_1_out},
            {TensorType::Q2_K, &q2_K_out}, {TensorType::Q3_K, &q3_K_out}, {TensorType::Q4_K, &q4_K_out}, {TensorType::Q5_K, &q5_K_out},
            {TensorType::Q6_K, &q6_K_out}, {TensorType::IQ4_NL, &iq4_nl_out}, {TensorType::IQ4_XS, &iq4_xs_out},
            {TensorType::TQ1_0, &tq1_0_out}, {TensorType::TQ2_0, &tq2_0_out}};
    const std::pair<TensorType, const std::vector<uint32_t>*> weighted[] = {
            {TensorType::IQ2_XXS, &iq2_xxs_out}, {TensorType::IQ2_XS, &iq2_xs_out}, {TensorType::IQ2_S, &iq2_s_out},
            {TensorType::IQ3_XXS, &iq3_xxs_out}, {TensorType::IQ3_S, &iq3_s_out},
            {TensorType::IQ1_S, &iq1_s_out}, {TensorType::IQ1_M, &iq1_m_out}};
    std::vector<float> importance(n);
    for (size_t j = 0; j < n; ++j) importance[j] = 1.0f + 0.5f * float(j % 5);
    const auto check = [&](TensorType type, const std::vector<uint32_t>& expected, std::span<const float> importance) {
        INFO(type_name(type));
        const auto encoded = test::encode_for_int8(type, w, n, importance);
        if (!encoded) return;
        const auto& [bytes, row_bytes] = *encoded;
        int8::Activations act;
        int8::quantize(activation_type(type), x.data(), n, tokens, n, 1, act);
        int8::Panel panel;
        int8::unpack(type, bytes.data(), row_bytes, rows, n, panel);
        std::vector<float> y(tokens * rows);
        int8::product(panel, act, rows, y.data(), rows);
        std::vector<uint32_t> bits;
        for (float v : y) bits.push_back(std::bit_cast<uint32_t>(v));
        CHECK(bits == expected);
        if (int8::small_batch(type) >= tokens) {  // generation's path, without a panel
            int8::product_rows(type, bytes.data(), row_bytes, rows, act, y.data(), rows);
            bits.clear();
            for (float v : y) bits.push_back(std::bit_cast<uint32_t>(v));
            CHECK(bits == expected);
        }
    };
    for (const auto& [type, expected] : cases) check(type, *expected, {});
    for (const auto& [type, expected] : weighted) check(type, *expected, importance);
}

// ggml's fallbacks where tinyBLAS does not apply (ggml_dot.hpp), against the same libggml: F32 and
// F16 rows of widths that are not a multiple of 16 (ggml_vec_dot_f32's float tail: whole 16s and
// an 8 rounded, the rest fused; ggml_vec_dot_f16's tail in double), 4 rows × 2 tokens each, from
// the LCG above (s = 1: 4·k weights r, F16-rounded for F16, then 2·k activations 4r, which ggml
// rounds to F16 for F16 rows), printed the same way (2026-12-03).
TEST_CASE("F32 and F16 rows narrower than tinyBLAS's lanes: ggml_vec_dot's values bit for bit", "[engine]") {
    struct Case {
        bool f16;
        size_t k;
        std::vector<uint32_t> expected;
    };
    const Case cases[] = {
            {false, 172, {0xc120aa04, 0x41ceb8b4, 0xc11a818b, 0xc13f6eab, 0xc09b438d, 0x41adb63d, 0xc1e2af76, 0xc16d4f0b}},
            {false, 200, {0x418c4ba9, 0xc19e5d7b, 0xc20d13ed, 0xc008bddd, 0x41a2f36b, 0xc004c6bf, 0xc18b04d1, 0x408a8bc8}},
            {true, 8, {0x404937b1, 0x401340c1, 0x3de3bd94, 0x407975c1, 0x3fbd2cd8, 0x400c2e59, 0x3f555184, 0x40567247}},
            {true, 72, {0xc19c3f18, 0x41224e7e, 0xc0d4d98a, 0x405688c6, 0xc09ce5a3, 0x409ed68b, 0x3f963d69, 0xc173d5aa}}};
    for (const Case& c : cases) {
        INFO((c.f16 ? "F16, k = " : "F32, k = ") << c.k);
        uint64_t s = 1;
        std::vector<float> w = lcg_values(4 * c.k, 1.0f, s), x = lcg_values(2 * c.k, 4.0f, s);
        if (c.f16) {
            round_row_to_f16(w.data(), w.size());
            round_row_to_f16(x.data(), x.size());
        }
        std::vector<uint32_t> bits;
        for (size_t t = 0; t < 2; ++t)
            for (size_t r = 0; r < 4; ++r) {
                const float* row = w.data() + r * c.k;
                const float v = c.f16 ? ggml_dot_f16(row, x.data() + t * c.k, c.k) : ggml_dot_f32(row, x.data() + t * c.k, c.k);
                bits.push_back(std::bit_cast<uint32_t>(v));
            }
        CHECK(bits == c.expected);
    }
}
