// The tensor bank: a treated tensor is made once per source bytes and treatment, read back
// byte for byte, made again when its entry is damaged, and the least recently used go first.
#include <catch2/catch.hpp>

#include <fstream>
#include <thread>

#include "temp_dir.hpp"
#include "tensor_bank.hpp"

using namespace qframe;
using namespace qframe::sweep;

namespace {

QuantizedTensor made(uint8_t fill, size_t n) { return {TensorType::Q8_0, std::vector<std::byte>(n, std::byte{fill}), Findings::object()}; }

TensorData view_of(const std::vector<float>& values, const std::vector<uint64_t>& dims) {
    static const std::string name = "t";
    return {name, 0, find_type(0), dims, std::as_bytes(std::span(values))};
}

}  // namespace

TEST_CASE("tensor bank: made once, then read back, keys follow the bytes and the treatment") {
    test::TempDir dir;
    TensorBank bank(dir / "bank", 1 << 20);
    const std::vector<float> a{1, 2, 3, 4}, b{1, 2, 3, 5};
    const std::vector<uint64_t> dims{4};
    const std::string k = TensorBank::key(view_of(a, dims), "quant.x y=1");
    CHECK(k != TensorBank::key(view_of(b, dims), "quant.x y=1"));
    CHECK(k != TensorBank::key(view_of(a, dims), "quant.x y=2"));
    CHECK(k != TensorBank::key(view_of(a, {2, 2}), "quant.x y=1"));
    CHECK(k == TensorBank::key(view_of(std::vector<float>(a), dims), "quant.x y=1"));

    int calls = 0;
    const auto make = [&] { ++calls; return made(7, 34); };
    const QuantizedTensor first = bank.get(k, make), second = bank.get(k, make);
    CHECK(calls == 1);
    CHECK(second.type == TensorType::Q8_0);
    CHECK(second.bytes == first.bytes);
    CHECK(bank.hits() == 1);
    CHECK(bank.misses() == 1);

    // A damaged entry is made again: cut short, or one byte of its data flipped (same size; its
    // digest catches it).
    std::ofstream(dir / "bank" / (k + ".tensor"), std::ios::trunc) << "junk";
    CHECK(bank.get(k, make).bytes == first.bytes);
    CHECK(calls == 2);
    {
        std::fstream f(dir / "bank" / (k + ".tensor"), std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(-1, std::ios::end);
        f.put(static_cast<char>(7 ^ 1));
    }
    CHECK(bank.get(k, make).bytes == first.bytes);
    CHECK(calls == 3);
    CHECK(bank.get(k, make).bytes == first.bytes);  // stored again, whole
    CHECK(calls == 3);

    // Off: always made, nothing stored.
    TensorBank off("", 0);
    off.get(k, make);
    off.get(k, make);
    CHECK(calls == 5);
}

TEST_CASE("tensor bank: eviction keeps the most recently used within the cap") {
    test::TempDir dir;
    const uint64_t entry = 24 + 64 + 1000;  // header (its digest included) + bytes
    TensorBank bank(dir / "bank", 2 * entry);
    for (const char* k : {"a", "b", "c"}) {
        bank.get(k, [] { return made(1, 1000); });
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // distinct use times
    }
    bank.get("a", [] { return made(1, 1000); });  // a is used again: b is now the oldest
    CHECK(bank.hits() == 1);
    bank.evict();
    CHECK(std::filesystem::exists(dir / "bank" / "a.tensor"));
    CHECK_FALSE(std::filesystem::exists(dir / "bank" / "b.tensor"));
    CHECK(std::filesystem::exists(dir / "bank" / "c.tensor"));
}
