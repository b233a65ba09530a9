// How the streamed stage shares its work (stream_plan.hpp), and the streamed output's way of
// taking a tensor whose place is not known yet (streamed_output.hpp): sized at once, written later
// from the spill file, with a file byte-identical to write_gguf's.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <future>
#include <numeric>

#include "pipeline/stream_plan.hpp"
#include "pipeline/streamed_output.hpp"
#include "pipeline/written_tensors.hpp"
#include "qframe/gguf.hpp"
#include "qframe/sha256.hpp"
#include "qframe/types.hpp"
#include "temp_dir.hpp"

using namespace qframe;

namespace {

// Tensors laid out in a pretend input mapping at 32-byte alignment, in order.
std::vector<StreamedTensor> laid_out(const std::vector<std::pair<bool, uint64_t>>& quantized_and_bytes) {
    static std::byte input[1 << 16];
    std::vector<StreamedTensor> out;
    uint64_t at = 0;
    for (const auto& [quantized, n] : quantized_and_bytes) {
        out.push_back({quantized, input + at, n, n / 2});
        at = (at + n + 31) / 32 * 32;
    }
    return out;
}

// A failed REQUIRE leaves the test by an exception: the digest's thread must not wait forever.
struct AbandonOnFailure {
    StreamedOutput& out;
    ~AbandonOnFailure() {
        if (std::uncaught_exceptions()) out.abandon();
    }
};

std::vector<std::byte> bytes_of(const std::vector<float>& v) {
    std::vector<std::byte> b(v.size() * sizeof(float));
    std::memcpy(b.data(), v.data(), b.size());
    return b;
}

}  // namespace

TEST_CASE("stream plan: untouched neighbours in the input form one copy, quantized tensors stand alone") {
    auto t = laid_out({{false, 100}, {false, 64}, {true, 64}, {false, 10}, {false, 20}, {false, 30}});
    auto units = stream_units(t, 32);
    REQUIRE(units.size() == 3);
    CHECK((units[0].first == 0 && units[0].last == 1));
    CHECK((units[1].first == 2 && units[1].last == 2));
    CHECK((units[2].first == 3 && units[2].last == 5));

    SECTION("a tensor not where the output's layout would put it starts a new unit") {
        t[5].in_input += 32;  // a gap before it
        units = stream_units(t, 32);
        REQUIRE(units.size() == 4);
        CHECK((units[2].first == 3 && units[2].last == 4));
        CHECK((units[3].first == 5 && units[3].last == 5));
    }
    SECTION("so does one that is not in the input file (a result of an earlier stage)") {
        t[1].in_input = nullptr;
        units = stream_units(t, 32);
        REQUIRE(units.size() == 4);
        CHECK((units[0].last == 0 && units[1].first == 1 && units[1].last == 1));
    }
}

TEST_CASE("stream plan: file order, except quantized tensors too large for what follows them") {
    // Values: 50 | 500 | copy | 1000 | 20 | 30 — the 1000 near the end has only 50 after it.
    const auto t = laid_out({{true, 100}, {true, 1000}, {false, 64}, {true, 2000}, {true, 40}, {true, 60}});
    const auto units = stream_units(t, 32);
    REQUIRE(units.size() == 6);
    CHECK(work_order(units, t, 1) == std::vector<size_t>{0, 1, 2, 3, 4, 5});  // one thread: no reason to move
    // Two threads: 3 (1000 values, 50 after) and 5 (30, none after) go first, the larger first.
    CHECK(work_order(units, t, 2) == std::vector<size_t>{3, 5, 0, 1, 2, 4});
    for (unsigned threads : {2u, 3u, 8u}) {
        auto order = work_order(units, t, threads);
        std::sort(order.begin(), order.end());
        std::vector<size_t> all(units.size());
        std::iota(all.begin(), all.end(), 0);
        CHECK(order == all);  // every unit once
    }
}

TEST_CASE("streamed output: a tensor sized before those ahead of it is written later from the spill file, and the file is write_gguf's") {
    test::TempDir dir;
    const auto f32 = static_cast<uint32_t>(TensorType::F32);
    const std::vector<std::vector<float>> values{{1, 2, 3, 4}, {5, 6, 7, 8, 9, 10, 11, 12}, {-1, -2, -3}};
    std::vector<OutputTensor> tensors;
    for (size_t i = 0; i < values.size(); ++i)
        tensors.push_back({"t" + std::to_string(i), f32, {values[i].size()}, values[i].size() * sizeof(float), {}, {}, {}});
    GgufLayout layout;
    layout.metadata.set("general.architecture", Value::string("test"));

    StreamedOutput out(dir / "streamed.gguf", layout, tensors, 0);
    auto digest = std::async(std::launch::async, [&] {
        if (!out.wait_for_sizes()) return std::string();
        out.set_header(layout);
        return out.hash();
    });
    AbandonOnFailure guard{out};
    const auto b0 = bytes_of(values[0]), b1 = bytes_of(values[1]), b2 = bytes_of(values[2]);
    // The last tensor is ready first: it gets its size, but not its place.
    CHECK_FALSE(out.size(2, 2, StreamedOutput::FinalType{f32, b2.size()}));
    SpillFile spill(dir.path, 1 << 16);
    const FileBytes kept = spill.tensors().file_bytes(spill.append(b2));
    CHECK(out.size(0, 0, StreamedOutput::FinalType{f32, b0.size()}));
    REQUIRE(out.write(0, f32, b0));
    CHECK_FALSE(out.placed(2));
    CHECK(out.size(1, 1, StreamedOutput::FinalType{f32, b1.size()}));
    CHECK(out.placed(2));
    REQUIRE(out.write(1, f32, b1));
    REQUIRE(out.copy(2, f32, kept));
    const std::string streamed_sha256 = digest.get();
    out.commit(false);

    for (size_t i = 0; i < values.size(); ++i) {
        const std::span<const std::byte> b = i == 0 ? b0 : i == 1 ? b1 : b2;
        tensors[i].produce = [b](std::vector<std::byte>&) { return b; };
    }
    const std::string written_sha256 = write_gguf(dir / "written.gguf", layout, tensors, WriteOptions{{}, {}, true, false});
    CHECK(sha256_file(dir / "streamed.gguf") == written_sha256);
    CHECK(streamed_sha256 == written_sha256);
    const GgufFile back = GgufFile::open(dir / "streamed.gguf");
    REQUIRE(back.tensors().size() == 3);
    CHECK(back.decode(back.tensors()[2]) == values[2]);
}

TEST_CASE("streamed output: a run copied in pieces, with a result written over one of its tensors, is hashed as it is written") {
    test::TempDir dir;
    const auto f32 = static_cast<uint32_t>(TensorType::F32);
    const std::vector<std::vector<float>> values{{1, 2, 3, 4}, {5, 6, 7, 8, 9, 10, 11, 12}, {-1, -2, -3}};
    const std::vector<float> patched{-5, -6, -7, -8, -9, -10, -11, -12};
    std::vector<OutputTensor> tensors;
    std::vector<std::byte> run;  // the three as a source file lays them out: 32-byte aligned
    for (size_t i = 0; i < values.size(); ++i) {
        tensors.push_back({"t" + std::to_string(i), f32, {values[i].size()}, values[i].size() * sizeof(float), {}, {}, {}});
        run.resize((run.size() + 31) / 32 * 32);
        const auto b = bytes_of(values[i]);
        run.insert(run.end(), b.begin(), b.end());
    }
    GgufLayout layout;
    layout.metadata.set("general.architecture", Value::string("test"));
    SpillFile spill(dir.path, 1 << 16);
    const FileBytes from = spill.tensors().file_bytes(spill.append(run));
    const FileBytes patch = spill.tensors().file_bytes(spill.append(bytes_of(patched)));

    for (uint64_t piece : {0u, 8u, 20u, 1000u}) {
        INFO("pieces of " << piece << " bytes");
        const auto path = dir / ("streamed-" + std::to_string(piece) + ".gguf");
        StreamedOutput out(path, layout, tensors, piece);
        auto digest = std::async(std::launch::async, [&] {
            if (!out.wait_for_sizes()) return std::string();
            out.set_header(layout);
            return out.hash();
        });
        AbandonOnFailure guard{out};
        CHECK_FALSE(out.size(1, 1, StreamedOutput::FinalType{f32, patch.bytes.size()}));  // its result came first
        CHECK(out.size(0, 2, std::nullopt));
        const StreamedOutput::Patch patches[] = {{1, patch}};
        REQUIRE(out.copy_run(0, 2, from, patches));
        const std::string streamed_sha256 = digest.get();
        out.commit(false);
        CHECK(streamed_sha256 == sha256_file(path));
        const GgufFile back = GgufFile::open(path);
        CHECK(back.decode(back.tensors()[0]) == values[0]);
        CHECK(back.decode(back.tensors()[1]) == patched);
        CHECK(back.decode(back.tensors()[2]) == values[2]);
    }
}
