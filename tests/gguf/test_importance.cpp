// Importance matrices in llama.cpp's two formats: exact round trips, the .dat's byte layout,
// and every kind of bad file refused with the file and the entry named.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <vector>

#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "qframe/gguf_writer.hpp"
#include "qframe/importance.hpp"
#include "temp_dir.hpp"

using namespace qframe;

namespace {

ImportanceMatrix sample() {
    ImportanceMatrix im;
    im.datasets = {"calibration.txt"};
    im.chunk_count = 3;
    im.chunk_size = 64;
    ImportanceEntry dense;
    dense.sum_squares = {1.5f, 0.25f, 7.0f, 3.0e-7f};
    dense.counts = {192.0f};
    dense.legacy_calls = 3;
    im.entries.emplace("blk.0.attn_q.weight", dense);
    ImportanceEntry experts;  // 3 experts of 2 columns, the last reached by no token
    experts.n_matrices = 3;
    experts.sum_squares = {4.0f, 1.0f, 0.5f, 2.0f, 0.0f, 0.0f};
    experts.counts = {100.0f, 92.0f, 0.0f};
    experts.legacy_calls = 3;
    im.entries.emplace("blk.0.ffn_down_exps.weight", experts);
    return im;
}

std::vector<char> bytes_of(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const std::filesystem::path& p, const std::vector<char>& b) {
    std::ofstream(p, std::ios::binary).write(b.data(), static_cast<std::streamsize>(b.size()));
}

std::string error_of(const std::filesystem::path& p) {
    try {
        ImportanceMatrix::read(p);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("importance: GGUF keeps every sum, count and key", "[importance]") {
    test::TempDir dir;
    const ImportanceMatrix im = sample();
    im.write(dir / "a.gguf", ImportanceFormat::gguf);
    const ImportanceMatrix back = ImportanceMatrix::read(dir / "a.gguf");
    CHECK(back.datasets == im.datasets);
    CHECK(back.chunk_count == 3);
    CHECK(back.chunk_size == 64);
    REQUIRE(back.entries.size() == 2);
    for (const auto& [name, e] : im.entries) {
        const ImportanceEntry* b = back.find(name);
        REQUIRE(b);
        CHECK(b->n_matrices == e.n_matrices);
        CHECK(b->sum_squares == e.sum_squares);
        CHECK(b->counts == e.counts);
    }
    // The layout current llama.cpp reads: [columns × matrices] sums, [1 × matrices] counts.
    const GgufFile f = GgufFile::open(dir / "a.gguf");
    CHECK(f.metadata().get_string("general.type") == "imatrix");
    const TensorInfo* sums = f.find_tensor("blk.0.ffn_down_exps.weight.in_sum2");
    REQUIRE(sums);
    CHECK(sums->dims == std::vector<uint64_t>{2, 3});
    CHECK(f.find_tensor("blk.0.ffn_down_exps.weight.counts")->dims == std::vector<uint64_t>{1, 3});
    // Written again, the same bytes.
    back.write(dir / "b.gguf", ImportanceFormat::gguf);
    CHECK(bytes_of(dir / "a.gguf") == bytes_of(dir / "b.gguf"));
}

TEST_CASE("importance: the legacy .dat, byte for byte as llama.cpp c392e50 lays it out", "[importance]") {
    test::TempDir dir;
    ImportanceMatrix im;
    im.datasets = {"t.txt"};
    im.chunk_count = 2;
    ImportanceEntry e;
    e.sum_squares = {8.0f, 2.0f};
    e.counts = {4.0f};
    e.legacy_calls = 2;
    im.entries.emplace("blk.1.ffn_up.weight", e);
    im.write(dir / "a.dat", ImportanceFormat::legacy_dat);
    // n_entries, len, name, ncall, nval, (sum / count) · ncall, chunk count, len, dataset
    std::vector<char> want;
    const auto i32 = [&](int32_t v) { want.insert(want.end(), reinterpret_cast<char*>(&v), reinterpret_cast<char*>(&v) + 4); };
    const auto f32 = [&](float v) { want.insert(want.end(), reinterpret_cast<char*>(&v), reinterpret_cast<char*>(&v) + 4); };
    const auto str = [&](const std::string& s) { want.insert(want.end(), s.begin(), s.end()); };
    i32(1), i32(19), str("blk.1.ffn_up.weight"), i32(2), i32(2), f32(4.0f), f32(1.0f), i32(2), i32(5), str("t.txt");
    CHECK(bytes_of(dir / "a.dat") == want);

    // Read back: the mean squares are kept (sums over ncall "rows", as c392e50 loads them),
    // and written again the file is the same.
    const ImportanceMatrix back = ImportanceMatrix::read(dir / "a.dat");
    CHECK(back.find("blk.1.ffn_up.weight")->mean_squares() == std::vector<float>{2.0f, 0.5f});
    back.write(dir / "b.dat", ImportanceFormat::legacy_dat);
    CHECK(bytes_of(dir / "b.dat") == want);
    // Through GGUF and back to .dat: the same bytes again.
    back.write(dir / "c.gguf", ImportanceFormat::gguf);
    ImportanceMatrix::read(dir / "c.gguf").write(dir / "c.dat", ImportanceFormat::legacy_dat);
    CHECK(bytes_of(dir / "c.dat") == want);
}

TEST_CASE("importance: an expert no token reached weighs every column alike", "[importance]") {
    const ImportanceMatrix im = sample();
    const ImportanceEntry& e = *im.find("blk.0.ffn_down_exps.weight");
    CHECK(e.columns() == 2);
    CHECK(e.mean_squares(0) == std::vector<float>{0.04f, 0.01f});
    CHECK(e.mean_squares(2) == std::vector<float>{1.0f, 1.0f});
}

TEST_CASE("importance: bad files are refused, naming the file and the entry", "[importance]") {
    test::TempDir dir;
    sample().write(dir / "good.dat", ImportanceFormat::legacy_dat);
    const auto good = bytes_of(dir / "good.dat");

    SECTION("truncated") {
        write_bytes(dir / "cut.dat", {good.begin(), good.begin() + 40});
        CHECK_THAT(error_of(dir / "cut.dat"), Catch::Contains("cut.dat") && Catch::Contains("truncated"));
    }
    SECTION("trailing bytes") {
        auto b = good;
        b.push_back(0);
        write_bytes(dir / "long.dat", b);
        CHECK_THAT(error_of(dir / "long.dat"), Catch::Contains("after the end"));
    }
    SECTION("a foreign file") {
        write_bytes(dir / "text.dat", {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '\n'});
        CHECK_THAT(error_of(dir / "text.dat"), Catch::Contains("not an importance matrix"));
    }
    SECTION("NaN and negative sums") {
        ImportanceMatrix im = sample();
        im.entries.at("blk.0.attn_q.weight").sum_squares[2] = std::numeric_limits<float>::quiet_NaN();
        im.write(dir / "nan.gguf", ImportanceFormat::gguf);
        CHECK_THAT(error_of(dir / "nan.gguf"), Catch::Contains("nan.gguf") && Catch::Contains("blk.0.attn_q.weight") && Catch::Contains("column 2"));
        im.entries.at("blk.0.attn_q.weight").sum_squares[2] = -1.0f;
        im.write(dir / "neg.dat", ImportanceFormat::legacy_dat);
        CHECK_THAT(error_of(dir / "neg.dat"), Catch::Contains("blk.0.attn_q.weight"));
    }
    SECTION("a dense matrix with a count of 0") {
        ImportanceMatrix im = sample();
        im.entries.at("blk.0.attn_q.weight").counts[0] = 0.0f;
        im.write(dir / "zero.gguf", ImportanceFormat::gguf);
        CHECK_THAT(error_of(dir / "zero.gguf"), Catch::Contains("blk.0.attn_q.weight") && Catch::Contains("count of 0"));
    }
    SECTION("a model instead of an importance matrix") {
        static const std::vector<float> values{1.0f, 2.0f};
        const auto bytes = std::as_bytes(std::span(values));
        GgufLayout layout;
        layout.metadata.set("general.architecture", Value::string("llama"));
        write_gguf(dir / "model.gguf", layout, {{"token_embd.weight", 0, {2}, bytes.size(), [bytes](std::vector<std::byte>&) { return bytes; }, {}, {}}});
        CHECK_THAT(error_of(dir / "model.gguf"), Catch::Contains("model.gguf") && Catch::Contains("token_embd.weight is not part of an importance matrix"));
        layout.metadata.set("general.type", Value::string("model"));
        write_gguf(dir / "typed.gguf", layout, {{"token_embd.weight", 0, {2}, bytes.size(), [bytes](std::vector<std::byte>&) { return bytes; }, {}, {}}});
        CHECK_THAT(error_of(dir / "typed.gguf"), Catch::Contains("general.type \"model\""));
    }
}
