// Every decoder against ggml's own dequantize_row_* / to-F32 output, bit for bit.
#include <catch2/catch.hpp>

#include <set>
#include <sstream>

#include "qframe/codec.hpp"
#include "vectors.hpp"

using namespace qframe;
using namespace codec_test;

namespace {

// Index of the first differing element, or -1; a single CHECK per set keeps failures readable.
long first_mismatch(const std::vector<uint32_t>& got, const std::vector<uint32_t>& want) {
    if (got.size() != want.size()) return 0;
    for (size_t i = 0; i < got.size(); ++i)
        if (got[i] != want[i]) return long(i);
    return -1;
}

}  // namespace

TEST_CASE("decode matches ggml bit for bit", "[codec][decode]") {
    for (const std::string set : kSets) {
        DYNAMIC_SECTION(set) {
            const TypeInfo* info = find_type(type_prefix(set));
            REQUIRE(info != nullptr);
            REQUIRE(can_decode(info->type));
            const auto bytes = read_bytes(set + ".bin");
            const auto want = read_f32_bits(set + ".f32");
            REQUIRE(want.size() > 0);
            REQUIRE(byte_size(*info, want.size()) == bytes.size());

            std::vector<float> got(want.size());
            decode(info->type, bytes, got);
            const auto got_bits = bits_of(got);
            const long bad = first_mismatch(got_bits, want);
            std::ostringstream where;
            if (bad >= 0) where << "value " << bad << ": got bits " << std::hex << got_bits[bad] << ", want " << want[bad];
            INFO(where.str());
            CHECK(bad == -1);
        }
    }
}

TEST_CASE("every decodable type has vectors, and only those types decode", "[codec][decode]") {
    std::set<TensorType> covered;
    for (const std::string set : kSets) covered.insert(find_type(type_prefix(set))->type);
    const std::set<TensorType> expected{TensorType::F32,  TensorType::F16,  TensorType::BF16,
                                        TensorType::Q8_0, TensorType::Q4_0, TensorType::Q4_1,
                                        TensorType::Q5_0, TensorType::Q5_1, TensorType::Q2_K,
                                        TensorType::Q3_K, TensorType::Q4_K, TensorType::Q5_K,
                                        TensorType::Q6_K, TensorType::IQ4_NL, TensorType::IQ4_XS,
                                        TensorType::IQ2_XXS, TensorType::IQ2_XS, TensorType::IQ2_S,
                                        TensorType::IQ3_XXS, TensorType::IQ3_S, TensorType::IQ1_S,
                                        TensorType::IQ1_M, TensorType::TQ1_0, TensorType::TQ2_0,
                                        TensorType::MXFP4};
    for (const TypeInfo& t : all_types()) {
        INFO(t.name);
        CHECK(can_decode(t.type) == (expected.count(t.type) == 1));
        if (can_decode(t.type)) CHECK(covered.count(t.type) == 1);
    }
}

TEST_CASE("decode rejects bad sizes and unsupported types", "[codec][decode]") {
    std::vector<std::byte> bytes(2 * 144);
    std::vector<float> values(512);
    decode(TensorType::Q4_K, bytes, values);  // sizes that match are accepted

    SECTION("one byte short") {
        CHECK_THROWS_AS(decode(TensorType::Q4_K, std::span(bytes).first(287), values), std::invalid_argument);
    }
    SECTION("one byte too many") {
        bytes.push_back(std::byte{0});
        CHECK_THROWS_AS(decode(TensorType::Q4_K, bytes, values), std::invalid_argument);
    }
    SECTION("value count not a whole number of blocks") {
        CHECK_THROWS_AS(decode(TensorType::Q4_K, bytes, std::span(values).first(500)), std::invalid_argument);
        CHECK_THROWS_AS(decode(TensorType::Q8_0, std::span(bytes).first(34), std::span(values).first(31)),
                        std::invalid_argument);
    }
    SECTION("types without a decoder") {
        for (TensorType t : {TensorType::Q8_1, TensorType::Q8_K, TensorType::I32}) {
            CHECK_FALSE(can_decode(t));
            CHECK_THROWS_AS(decode(t, bytes, values), std::invalid_argument);
        }
        CHECK_THROWS_AS(decode(static_cast<TensorType>(4), bytes, values), std::invalid_argument);
    }
    SECTION("the message names the type and the sizes") {
        try {
            decode(TensorType::Q4_K, std::span(bytes).first(287), values);
            FAIL("no exception");
        } catch (const std::invalid_argument& e) {
            const std::string msg = e.what();
            CHECK_THAT(msg, Catch::Contains("Q4_K") && Catch::Contains("287") && Catch::Contains("144"));
        }
    }
    SECTION("empty input is fine") {
        decode(TensorType::Q6_K, {}, {});
    }
}
