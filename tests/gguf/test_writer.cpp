#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "qframe/error.hpp"
#include "qframe/gguf_writer.hpp"
#include "qframe/output_file.hpp"
#include "qframe/temporary_files.hpp"
#include "temp_dir.hpp"

using namespace qframe;
using qframe::test::TempDir;

namespace {

OutputTensor bytes_tensor(std::string name, uint32_t type, std::vector<uint64_t> dims, std::vector<std::byte> data) {
    auto shared = std::make_shared<std::vector<std::byte>>(std::move(data));
    return {std::move(name), type, std::move(dims), shared->size(),
            [shared](std::vector<std::byte>&) { return std::span<const std::byte>(*shared); }, {}, {}};
}

std::vector<std::byte> floats(std::vector<float> v) {
    std::vector<std::byte> out(v.size() * 4);
    std::memcpy(out.data(), v.data(), out.size());
    return out;
}

GgufLayout every_value_type() {
    GgufLayout layout;
    Metadata& m = layout.metadata;
    m.set("u8", Value::u8(7));
    m.set("i8", Value::i8(-7));
    m.set("u16", Value::u16(700));
    m.set("i16", Value::i16(-700));
    m.set("u32", Value::u32(70000));
    m.set("i32", Value::i32(-70000));
    m.set("f32", Value::f32(0.1f));
    m.set("bool", Value::boolean(false));
    m.set("str", Value::string("text"));
    m.set("u64", Value::u64(1ull << 40));
    m.set("i64", Value::i64(-(1ll << 40)));
    m.set("f64", Value::f64(0.1));
    m.set("nan", Value::scalar(ValueType::FLOAT32, uint32_t{0x7fc00123}));  // payload must survive
    m.set("arr_f32", Value::array_of(ValueType::FLOAT32, std::vector<float>{1, 2, 3}));
    m.set("arr_bool", Value::array_of(ValueType::BOOL, std::vector<uint8_t>{1, 0}));
    m.set("arr_str", Value::string_array({"a", "", "ccc"}));
    m.set("arr_empty", Value::array_of(ValueType::INT64, std::vector<int64_t>{}));
    m.set("nested", Value::array_of_arrays({Value::array_of(ValueType::UINT16, std::vector<uint16_t>{1, 2}),
                                            Value::string_array({"x"})}));
    return layout;
}

}  // namespace

TEST_CASE("writer: metadata of every type and tensors round-trip through a file") {
    TempDir dir;
    const auto layout = every_value_type();
    std::vector<OutputTensor> tensors{
        bytes_tensor("f32", 0, {3}, floats({1.0f, -2.0f, 3.5f})),
        bytes_tensor("opaque", 200, {5}, std::vector<std::byte>(40, std::byte{9})),
        bytes_tensor("q8", 8, {32, 2}, std::vector<std::byte>(68, std::byte{1})),
    };
    write_gguf(dir / "a.gguf", layout, tensors);

    const auto f = GgufFile::open(dir / "a.gguf");
    CHECK(f.version() == 3);
    CHECK(f.metadata().entries() == layout.metadata.entries());
    REQUIRE(f.tensors().size() == 3);
    CHECK(f.decode(f.tensors()[0]) == std::vector<float>{1.0f, -2.0f, 3.5f});
    CHECK(f.tensors()[1].n_bytes == 64);  // an opaque tensor carries its padded extent
    CHECK(f.tensors()[2].type_name() == "Q8_0");
    for (const auto& t : f.tensors()) CHECK(t.offset % 32 == 0);
    CHECK(f.file_size() % 32 == 0);

    // Writing the parsed file back gives the same bytes.
    write_gguf(dir / "b.gguf", layout_of(f), pass_through_all(f));
    const auto g = GgufFile::open(dir / "b.gguf");
    REQUIRE(g.file_size() == f.file_size());
    CHECK(std::memcmp(g.bytes().data(), f.bytes().data(), f.file_size()) == 0);
}

TEST_CASE("writer: general.alignment sets the padding") {
    TempDir dir;
    GgufLayout layout;
    layout.metadata.set(kAlignmentKey, Value::u32(128));
    write_gguf(dir / "a.gguf", layout, {bytes_tensor("a", 0, {1}, floats({1})), bytes_tensor("b", 0, {1}, floats({2}))});
    const auto f = GgufFile::open(dir / "a.gguf");
    CHECK(f.tensors()[1].offset == 128);
    CHECK(f.data_offset() % 128 == 0);
    layout.metadata.set(kAlignmentKey, Value::u32(48));
    CHECK_THROWS_WITH(write_gguf(dir / "c.gguf", layout, {}), Catch::Contains("power of two"));
}

TEST_CASE("writer: a failure leaves no output and no temporary file") {
    TempDir dir;
    std::vector<OutputTensor> tensors{bytes_tensor("a", 0, {1}, floats({1}))};
    tensors.push_back({"boom", 0, {1}, 4, [](std::vector<std::byte>&) -> std::span<const std::byte> {
                           throw Error("producer failed");
                       }, {}, {}});
    CHECK_THROWS_WITH(write_gguf(dir / "out.gguf", {}, tensors), "producer failed");
    CHECK(dir.file_count() == 0);

    tensors.back() = {"short", 0, {2}, 8, [](std::vector<std::byte>& scratch) {
                          scratch.assign(4, std::byte{0});
                          return std::span<const std::byte>(scratch);
                      }, {}, {}};
    CHECK_THROWS_WITH(write_gguf(dir / "out.gguf", {}, tensors), Catch::Contains("produced 4 bytes, expected 8"));
    CHECK(dir.file_count() == 0);

    tensors.pop_back();
    tensors.push_back(tensors.front());
    CHECK_THROWS_WITH(write_gguf(dir / "out.gguf", {}, tensors), Catch::Contains("two output tensors are named 'a'"));
    CHECK(dir.file_count() == 0);
}

TEST_CASE("writer: an existing output is replaced only when the new one is complete") {
    TempDir dir;
    { std::ofstream(dir / "out.gguf") << "old"; }
    std::vector<OutputTensor> bad{{"boom", 0, {1}, 4, [](std::vector<std::byte>&) -> std::span<const std::byte> {
                                       throw Error("producer failed");
                                   }, {}, {}}};
    CHECK_THROWS(write_gguf(dir / "out.gguf", {}, bad));
    std::ifstream in(dir / "out.gguf");
    std::string content;
    in >> content;
    CHECK(content == "old");
    CHECK(dir.file_count() == 1);
}

TEST_CASE("writer: refuses to write onto an input") {
    TempDir dir;
    write_gguf(dir / "in.gguf", {}, {bytes_tensor("a", 0, {1}, floats({1}))});
    const auto f = GgufFile::open(dir / "in.gguf");
    CHECK_THROWS_WITH(write_gguf(dir / "in.gguf", layout_of(f), pass_through_all(f), WriteOptions{{dir / "in.gguf"}, {}}),
                      Catch::Contains("refusing to write the output onto the input"));
    CHECK(GgufFile::open(dir / "in.gguf").tensors().size() == 1);
}

TEST_CASE("writer: temporaries left by dead processes of this host are removed, no others") {
    TempDir dir;
    const auto target = dir / "out.gguf";
    // The pattern names the host and this process: ".out.gguf.tmp.HOST.PID.XXXXXX".
    const std::string ours = temporary_pattern(target);
    const std::string pid_field = fmt::format(".{}.XXXXXX", ::getpid());
    REQUIRE(ours.ends_with(pid_field));
    const std::string host_prefix = ours.substr(0, ours.size() - pid_field.size());  // ".../.out.gguf.tmp.HOST"

    const pid_t child = ::fork();  // a PID that has certainly ended once waited for
    if (child == 0) ::_exit(0);
    REQUIRE(child > 0);
    ::waitpid(child, nullptr, 0);
    const auto touch = [](const std::string& path) { std::ofstream(path) << "partial"; };
    const std::string dead = fmt::format("{}.{}.aaaaaa", host_prefix, child);
    const std::string alive = fmt::format("{}.{}.bbbbbb", host_prefix, ::getppid());
    const std::string other_host = (dir / fmt::format(".out.gguf.tmp.elsewhere.{}.cccccc", child)).string();
    const std::string host = host_prefix.substr(host_prefix.rfind(".tmp.") + 5);
    const std::string other_output = (dir / fmt::format(".other.gguf.tmp.{}.{}.dddddd", host, child)).string();
    for (const auto& p : {dead, alive, other_host, other_output}) touch(p);

    CHECK(remove_stale_temporaries(target) == 1);
    CHECK_FALSE(std::filesystem::exists(dead));
    CHECK(std::filesystem::exists(alive));         // its process still runs
    CHECK(std::filesystem::exists(other_host));    // another node's PID means nothing here
    CHECK(std::filesystem::exists(other_output));  // another output's temporary
    // An OutputFile cleans up the same way before it writes.
    touch(dead);
    write_text_atomically(target, "done");
    CHECK_FALSE(std::filesystem::exists(dead));
    CHECK(dir.file_count() == 4);  // the output, alive, other_host, other_output
}
