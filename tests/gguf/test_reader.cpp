#include <catch2/catch.hpp>

#include "qframe/error.hpp"
#include "raw_gguf.hpp"

using namespace qframe;
using qframe::test::RawGguf;

TEST_CASE("reader: a minimal hand-built file parses with views into the bytes") {
    RawGguf g;
    g.header(2, 1).kv_u32("general.alignment", 32);
    g.tensor_info("a", {4, 2}, 0, 0).tensor_info("b", {3}, 1, 32);
    g.pad().data(32, 0x11).data(6, 0x22).pad();
    const auto f = g.parse();
    CHECK(f.version() == 3);
    CHECK(f.alignment() == 32);
    REQUIRE(f.tensors().size() == 2);
    const auto& a = f.tensors()[0];
    CHECK(a.name == "a");
    CHECK(a.dims == std::vector<uint64_t>{4, 2});
    CHECK(a.n_values == 8);
    CHECK(a.n_bytes == 32);
    CHECK(a.data.data() == g.bytes.data() + f.data_offset());  // a view, not a copy
    CHECK(f.tensors()[1].n_bytes == 6);
    CHECK(f.tensors()[1].type_name() == "F16");
    CHECK(f.tensors()[1].shape() == "3");
}

TEST_CASE("reader: GGUF v2 files read like v3") {
    RawGguf g;
    g.header(1, 0, 2).tensor_info("t", {8}, 0, 0).pad().data(32);
    CHECK(g.parse().version() == 2);
}

TEST_CASE("reader: every metadata value type, arrays of strings and nested arrays") {
    RawGguf g;
    g.header(0, 15);
    g.str("u8").put<uint32_t>(0).put<uint8_t>(200);
    g.str("i8").put<uint32_t>(1).put<int8_t>(-5);
    g.str("u16").put<uint32_t>(2).put<uint16_t>(60000);
    g.str("i16").put<uint32_t>(3).put<int16_t>(-30000);
    g.str("u32").put<uint32_t>(4).put<uint32_t>(4000000000u);
    g.str("i32").put<uint32_t>(5).put<int32_t>(-2000000000);
    g.str("f32").put<uint32_t>(6).put<float>(1.5f);
    g.str("bool").put<uint32_t>(7).put<uint8_t>(1);
    g.str("str").put<uint32_t>(8).str("héllo");
    g.str("u64").put<uint32_t>(10).put<uint64_t>(1ull << 60);
    g.str("i64").put<uint32_t>(11).put<int64_t>(-(1ll << 60));
    g.str("f64").put<uint32_t>(12).put<double>(-2.25);
    g.str("arr_i32").put<uint32_t>(9).put<uint32_t>(5).put<uint64_t>(3).put<int32_t>(1).put<int32_t>(-2).put<int32_t>(3);
    g.str("arr_str").put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(2).str("x").str("");
    // [[1u8, 2u8], ["s"]]: inner arrays may differ in element type.
    g.str("nested").put<uint32_t>(9).put<uint32_t>(9).put<uint64_t>(2);
    g.put<uint32_t>(0).put<uint64_t>(2).put<uint8_t>(1).put<uint8_t>(2);
    g.put<uint32_t>(8).put<uint64_t>(1).str("s");
    const auto f = g.parse();
    const auto& m = f.metadata();
    CHECK(m.find("u8")->as_u64() == 200);
    CHECK(m.find("i8")->as_i64() == -5);
    CHECK(m.find("u16")->as_u64() == 60000);
    CHECK(m.find("i16")->as_i64() == -30000);
    CHECK(m.find("u32")->as_u64() == 4000000000u);
    CHECK(m.find("i32")->as_i64() == -2000000000);
    CHECK(m.find("f32")->as_double() == 1.5);
    CHECK(m.find("bool")->as_bool());
    CHECK(m.find("str")->as_string() == "héllo");
    CHECK(m.find("u64")->as_u64() == (1ull << 60));
    CHECK(m.find("i64")->as_i64() == -(1ll << 60));
    CHECK(m.find("f64")->as_double() == -2.25);
    const Value* arr = m.find("arr_i32");
    REQUIRE(arr->size() == 3);
    CHECK(arr->element(1).as_i64() == -2);
    CHECK(m.find("arr_str")->strings() == std::vector<std::string>{"x", ""});
    const Value* nested = m.find("nested");
    REQUIRE(nested->size() == 2);
    CHECK(nested->arrays()[0].element(1).as_u64() == 2);
    CHECK(nested->arrays()[1].strings().at(0) == "s");
    CHECK_THROWS_AS(m.find("i8")->as_u64(), Error);   // negative
    CHECK_THROWS_AS(m.find("str")->as_u64(), Error);  // not a number
}

TEST_CASE("reader: a tensorless file may stop before its data section (gguf-py) or be padded (ggml)") {
    RawGguf g;
    g.header(0, 1).kv_u32("k", 1);  // 24 + 8 + 1 + 4 + 4 = 41 bytes, not a multiple of 32
    CHECK(g.parse().ends_before_data_section());
    g.pad();
    CHECK_FALSE(g.parse().ends_before_data_section());
}

TEST_CASE("reader: general.alignment is honoured") {
    RawGguf g;
    g.header(2, 1).kv_u32("general.alignment", 64);
    g.tensor_info("a", {4}, 0, 0).tensor_info("b", {4}, 0, 64).pad(64).data(64).data(64);
    const auto f = g.parse();
    CHECK(f.alignment() == 64);
    CHECK(f.data_offset() % 64 == 0);
    CHECK(f.tensors()[1].data.data() == g.bytes.data() + f.data_offset() + 64);
}

TEST_CASE("reader: an unknown tensor type passes through opaque, sized to its extent") {
    RawGguf g;
    g.header(2, 0).tensor_info("future", {10}, 200, 0).tensor_info("f", {8}, 0, 64).pad().data(64, 7).data(32);
    const auto f = g.parse();
    const auto& t = f.tensors()[0];
    CHECK_FALSE(t.known_type());
    CHECK(t.type_name() == "type 200");
    CHECK(t.n_bytes == 64);
    REQUIRE_THROWS_WITH(f.decode(t), Catch::Contains("'future'") && Catch::Contains("cannot decode"));
}

TEST_CASE("reader: decode of a known but undecodable type names it") {
    RawGguf g;
    g.header(1, 0).tensor_info("q81", {32}, 9, 0).pad().data(36).pad();
    const auto f = g.parse();
    REQUIRE_THROWS_WITH(f.decode(f.tensors()[0]), Catch::Contains("Q8_1"));
}
