// llama.cpp's conventions that qframe reproduces: the use_more_bits layer rule and the
// `{arch}.block_count` key it is applied with.
#include <catch2/catch.hpp>

#include <vector>

#include "qframe/llama_rules.hpp"
#include "qframe/stage.hpp"
#include "qframe/synth.hpp"  // q4_k_m_type

using namespace qframe;

namespace {

std::vector<int> more_bits_layers(int n) {
    std::vector<int> out;
    for (int i = 0; i < n; ++i)
        if (use_more_bits(i, n)) out.push_back(i);
    return out;
}

}  // namespace

// Listed from llama-quant.cpp's rule by hand (n/8 and 7n/8 in integer division); the 4- and
// 22-layer lists are also what llama-quantize did (tests/cli/data/llama_quantize_q4_k_m_*.tsv).
TEST_CASE("use_more_bits: llama.cpp's layers for 1, 4, 8, 22 and 32 layers") {
    CHECK(more_bits_layers(1) == std::vector<int>{0});
    CHECK(more_bits_layers(4) == std::vector<int>{2, 3});
    CHECK(more_bits_layers(8) == std::vector<int>{0, 3, 6, 7});
    CHECK(more_bits_layers(22) == std::vector<int>{0, 1, 4, 7, 10, 13, 16, 19, 20, 21});
    CHECK(more_bits_layers(32) == std::vector<int>{0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31});
    STATIC_REQUIRE(use_more_bits(2, 4));  // usable at compile time
}

TEST_CASE("q4_k_m_type: Q6_K for output and the use_more_bits attn_v/ffn_down, else Q4_K") {
    CHECK(q4_k_m_type("output.weight", 22) == TensorType::Q6_K);
    CHECK(q4_k_m_type("token_embd.weight", 22) == TensorType::Q4_K);
    CHECK(q4_k_m_type("blk.4.attn_v.weight", 22) == TensorType::Q6_K);
    CHECK(q4_k_m_type("blk.4.ffn_down.weight", 22) == TensorType::Q6_K);
    CHECK(q4_k_m_type("blk.4.ffn_up.weight", 22) == TensorType::Q4_K);
    CHECK(q4_k_m_type("blk.2.attn_v.weight", 22) == TensorType::Q4_K);
    CHECK(q4_k_m_type("blk.2.attn_v.weight", 4) == TensorType::Q6_K);
}

TEST_CASE("block_count: the architecture's block_count key, or a clear error") {
    Metadata m;
    CHECK_THROWS_WITH(block_count(m), Catch::Contains("no string general.architecture"));
    m.set("general.architecture", Value::string("llama"));
    CHECK_THROWS_WITH(block_count(m), Catch::Contains("no llama.block_count"));
    m.set("llama.block_count", Value::string("22"));
    CHECK_THROWS_WITH(block_count(m), Catch::Contains("llama.block_count is not a layer count"));
    m.set("llama.block_count", Value::u32(22));
    CHECK(block_count(m) == 22);
    m.set("llama.block_count", Value::u64(1ull << 40));
    CHECK_THROWS_WITH(block_count(m), Catch::Contains("is not a layer count"));
}
