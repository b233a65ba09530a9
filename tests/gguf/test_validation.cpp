// Forged and damaged files: each fails with a FormatError naming the file, the offset and the
// problem, before any large allocation.
#include <catch2/catch.hpp>

#include <filesystem>

#include "qframe/error.hpp"
#include "qframe/synth.hpp"
#include "raw_gguf.hpp"

using namespace qframe;
using qframe::test::RawGguf;
using Catch::Contains;

namespace {

// Parses and returns the error message (fails the test if parsing succeeds).
std::string error_of(const RawGguf& g) {
    try {
        g.parse();
    } catch (const FormatError& e) {
        CHECK(e.file() == "forged.gguf");
        CHECK(std::string(e.what()).find("forged.gguf: at byte ") == 0);
        return e.what();
    }
    FAIL("the forged file parsed");
    return {};
}

RawGguf one_tensor(std::vector<int64_t> dims, uint32_t type = 0, uint64_t offset = 0, size_t data = 64) {
    RawGguf g;
    g.header(1, 0).tensor_info("t", std::move(dims), type, offset).pad().data(data);
    return g;
}

}  // namespace

TEST_CASE("validation: header") {
    RawGguf g;
    CHECK_THAT(error_of(g), Contains("too short"));
    g.bytes = {std::byte{'G'}, std::byte{'G'}, std::byte{'M'}, std::byte{'L'}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}};
    CHECK_THAT(error_of(g), Contains("not a GGUF file"));
    CHECK_THAT(error_of(g.header(0, 0, 1)), Contains("version 1 is not supported"));
    CHECK_THAT(error_of(g.header(0, 0, 0x03000000)), Contains("big-endian"));
    CHECK_THAT(error_of(g.header(0, 0, 7)), Contains("unsupported GGUF version 7"));
}

TEST_CASE("validation: forged counts fail fast without allocating") {
    RawGguf g;
    CHECK_THAT(error_of(g.header(1ull << 60, 0)), Contains("tensor count is 1152921504606846976"));
    CHECK_THAT(error_of(g.header(0, 1ull << 60)), Contains("metadata count"));
    g.header(0, 1).put<uint64_t>(1ull << 40).data(16);  // a 2^40-byte key
    CHECK_THAT(error_of(g), Contains("metadata key needs 1099511627776 bytes"));
    g.header(0, 1).str("k").put<uint32_t>(8).put<uint64_t>(1ull << 40);
    CHECK_THAT(error_of(g), Contains("string value needs"));
    g.header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(6).put<uint64_t>(1ull << 62);
    CHECK_THAT(error_of(g), Contains("array length"));
    g.header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(1ull << 62);
    CHECK_THAT(error_of(g), Contains("string array length"));
    g.header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(9).put<uint64_t>(1ull << 62);
    CHECK_THAT(error_of(g), Contains("nested array length"));
}

TEST_CASE("validation: metadata values") {
    RawGguf g;
    g.header(0, 1).str("k").put<uint32_t>(13).put<uint32_t>(0);
    CHECK_THAT(error_of(g), Contains("unknown value type id 13"));
    g.header(0, 1).str("k").put<uint32_t>(7).put<uint8_t>(2);
    CHECK_THAT(error_of(g), Contains("bool value is 2"));
    g.header(0, 2).kv_u32("k", 1).kv_u32("k", 2);
    CHECK_THAT(error_of(g), Contains("duplicate metadata key 'k'"));
    g.header(0, 1).kv_u32("", 1);
    CHECK_THAT(error_of(g), Contains("empty metadata key"));
    g.header(0, 1).kv_u32("general.alignment", 24);
    CHECK_THAT(error_of(g), Contains("not a power of two"));
    g.header(0, 1).str("general.alignment").put<uint32_t>(10).put<uint64_t>(32);
    CHECK_THAT(error_of(g), Contains("must be a u32"));
    // Arrays nested 100 deep would recurse; the reader stops at a fixed depth.
    g.header(0, 1).str("k").put<uint32_t>(9);
    for (int i = 0; i < 100; ++i) g.put<uint32_t>(9).put<uint64_t>(1);
    CHECK_THAT(error_of(g), Contains("nested deeper"));
}

TEST_CASE("validation: tensor shapes") {
    CHECK_THAT(error_of(one_tensor({})), Contains("n_dims 0"));
    CHECK_THAT(error_of(one_tensor({1, 1, 1, 1, 1})), Contains("n_dims 5"));
    CHECK_THAT(error_of(one_tensor({4, 0})), Contains("dimension 1 is 0"));
    CHECK_THAT(error_of(one_tensor({-4})), Contains("dimension 0 is -4"));
    CHECK_THAT(error_of(one_tensor({1ll << 40, 1ll << 40})), Contains("overflows"));
    CHECK_THAT(error_of(one_tensor({33}, 8)), Contains("row length 33 is not a multiple of Q8_0's block size 32"));
    // 2^62 F32 values fit 63 bits as a count but not as bytes; 2^60 fit but not in the file.
    CHECK_THAT(error_of(one_tensor({1ll << 31, 1ll << 31}, 0)), Contains("byte size overflows"));
    CHECK_THAT(error_of(one_tensor({1ll << 30, 1ll << 30}, 0)), Contains("needs 4611686018427387904 bytes"));
}

TEST_CASE("validation: tensor placement") {
    CHECK_THAT(error_of(one_tensor({4}, 0, 8)), Contains("not a multiple of the alignment 32"));
    CHECK_THAT(error_of(one_tensor({4}, 0, 1 << 20)), Contains("past the end of the file"));
    CHECK_THAT(error_of(one_tensor({32}, 0, 0, 64)), Contains("needs 128 bytes"));
    RawGguf g;
    g.header(2, 0).tensor_info("a", {16}, 0, 0).tensor_info("b", {16}, 0, 32).pad().data(128);
    CHECK_THAT(error_of(g), Contains("'a' and 'b' overlap"));
    g.header(2, 0).tensor_info("a", {8}, 0, 0).tensor_info("a", {8}, 0, 32).pad().data(64);
    CHECK_THAT(error_of(g), Contains("duplicate tensor name 'a'"));
    // ggml's names hold 63 bytes; llama.cpp refuses a file with a longer one, and so does qframe.
    g.header(1, 0).tensor_info(std::string(63, 'n'), {8}, 0, 0).pad().data(32);
    CHECK_NOTHROW(g.parse());
    g.header(1, 0).tensor_info(std::string(64, 'n'), {8}, 0, 0).pad().data(32);
    CHECK_THAT(error_of(g), Contains("tensor name of 64 bytes") && Contains("ggml's limit is 63"));
    g.header(1, 0).tensor_info("a", {8}, 0, 0);  // ends before its data section
    CHECK_THAT(error_of(g), Contains("before its data section"));
}

TEST_CASE("validation: a model truncated at every 1 KiB boundary fails cleanly") {
    const auto dir = std::filesystem::temp_directory_path() / "qframe-test-truncate";
    std::filesystem::create_directories(dir);
    const auto path = dir / "m.gguf";
    synthesize_model(*find_synth_preset("tinyllama"), 1, path);
    const auto full = GgufFile::open(path);
    const auto bytes = full.bytes();
    size_t cuts = 0;
    for (size_t cut = 0; cut < bytes.size(); cut += 1024, ++cuts) {
        INFO("cut at " << cut);
        CHECK_THROWS_AS(GgufFile::parse(bytes.first(cut), "cut.gguf"), FormatError);
    }
    CHECK(cuts > 100);
    std::filesystem::remove_all(dir);
}
