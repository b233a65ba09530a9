// general.file_type as llama.cpp guesses it, and the keys a run adds to what it writes.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "qframe/file_type.hpp"
#include "qframe/gguf.hpp"
#include "qframe/provenance.hpp"
#include "qframe/sha256.hpp"

using namespace qframe;
namespace fs = std::filesystem;

namespace {

constexpr uint32_t id(TensorType t) { return static_cast<uint32_t>(t); }

std::vector<NamedTensorType> types_of(const GgufFile& f) {
    std::vector<NamedTensorType> out;
    for (const auto& t : f.tensors()) out.push_back({t.name, t.type_id});
    return out;
}

}  // namespace

// The files llama-quantize c392e50 wrote (../shared/data/README.md) carry the file type it was
// asked for; for these mixes that is also what its loader guesses from the tensor types.
TEST_CASE("file type: the guess gives what llama-quantize wrote into the shared models", "[file_type]") {
    const fs::path dir = fs::path(QFRAME_SOURCE_DIR) / ".." / "shared" / "data" / "models";
    size_t checked = 0;
    for (const char* name : {"tiny-llama-f16", "tiny-llama-q2_k", "tiny-llama-q3_k_m", "tiny-llama-q4_0", "tiny-llama-q4_1", "tiny-llama-q4_k_m",
                             "tiny-llama-q5_0", "tiny-llama-q5_1", "tiny-llama-q5_k_m", "tiny-llama-q6_k", "tiny-llama-q8_0"}) {
        const fs::path path = dir / (std::string(name) + ".gguf");
        if (!fs::exists(path)) {
            WARN("SKIPPED: " << path.string() << " is absent");
            continue;
        }
        const GgufFile f = GgufFile::open(path);
        INFO(name);
        REQUIRE(f.metadata().find(kFileTypeKey));
        CHECK(guess_llama_file_type(types_of(f)) == f.metadata().find(kFileTypeKey)->as_u64());
        ++checked;
    }
    if (checked) CHECK(checked == 11);
}

TEST_CASE("file type: counted in llama.cpp's tensor order, the first to reach the top count wins", "[file_type]") {
    // weight_name_comparer: names without a layer first, then layers as numbers, then names.
    const std::vector<NamedTensorType> tie_by_layer{{"blk.10.a.weight", id(TensorType::Q8_0)}, {"blk.2.a.weight", id(TensorType::Q4_0)}};
    CHECK(guess_llama_file_type(tie_by_layer) == 2);  // Q4_0: layer 2 comes before layer 10
    const std::vector<NamedTensorType> outside_first{{"blk.0.a.weight", id(TensorType::Q4_K)}, {"output.weight", id(TensorType::Q6_K)},
                                                     {"blk.0.b.weight", id(TensorType::Q6_K)}, {"blk.1.a.weight", id(TensorType::Q4_K)}};
    CHECK(guess_llama_file_type(outside_first) == 18);  // Q6_K reaches 2 first
    const std::vector<NamedTensorType> most{{"a", id(TensorType::F32)}, {"b", id(TensorType::Q4_K)}, {"c", id(TensorType::Q4_K)}};
    CHECK(guess_llama_file_type(most) == 15);  // Q4_K → Q4_K_M
    CHECK(guess_llama_file_type(std::vector<NamedTensorType>{{"a", id(TensorType::Q8_1)}}) == 0);  // no file type: all F32
    CHECK(llama_file_type_name(15) == "Q4_K - Medium");
    CHECK(llama_file_type_name(0) == "all F32");
    CHECK(llama_file_type_name(4) == "unknown");
}

TEST_CASE("provenance: llama-quantize's keys once a tensor is rewritten, the guessed file type where a type changed, qframe.* keys replaced", "[provenance]") {
    Metadata input;
    input.set("general.architecture", Value::string("llama"));
    input.set("general.file_type", Value::u32(1));
    input.set("qframe.recipe.overrides", Value::string_array({"from an earlier run"}));
    const std::vector<NamedTensorType> before{{"blk.0.attn_q.weight", id(TensorType::F16)}, {"blk.0.attn_norm.weight", id(TensorType::F32)}};
    const std::vector<NamedTensorType> quantized{{"blk.0.attn_q.weight", id(TensorType::Q4_K)}, {"blk.0.attn_norm.weight", id(TensorType::F32)}};
    const Provenance p{"study", "qframe: 1\n", {}, "in.gguf", std::string(64, 'a')};
    ::setenv("SOURCE_DATE_EPOCH", "1700000000", 1);

    const Metadata same = output_metadata(input, before, before, false, p);
    CHECK(same.find("general.file_type")->as_u64() == 1);
    CHECK_FALSE(same.find("general.quantization_version"));
    CHECK_FALSE(same.find("qframe.recipe.overrides"));  // the earlier run's keys are gone
    CHECK(same.find("qframe.date")->as_string() == "2023-11-14T22:13:20Z");
    CHECK(same.find("qframe.recipe.sha256")->as_string() == sha256_hex("qframe: 1\n"));
    CHECK(same.find("qframe.input.file")->as_string() == "in.gguf");
    CHECK(same.entries().front().first == "general.architecture");  // the input's keys keep their order

    const Metadata changed = output_metadata(input, before, quantized, true, p);
    CHECK(changed.find("general.file_type")->as_u64() == 0);  // a tie: blk.0.attn_norm (F32) sorts before blk.0.attn_q
    CHECK(changed.find("general.quantization_version")->as_u64() == 2);

    // Rewritten values in the same types: the input's file type stays (it may say Q4_K_S, which
    // the types cannot), and the keys are the same as for a changed type, so is the header's size.
    const Metadata values_only = output_metadata(input, before, before, true, p);
    CHECK(values_only.find("general.file_type")->as_u64() == 1);
    CHECK(values_only.find("general.quantization_version")->as_u64() == 2);
    CHECK(values_only.size() == changed.size());
    Metadata without = input;
    without.erase("general.file_type");
    CHECK(output_metadata(without, before, before, true, p).find("general.file_type")->as_u64() == 0);  // guessed (the tie above)
    CHECK(output_metadata(without, before, before, false, p).find("general.file_type") == nullptr);

    ::setenv("SOURCE_DATE_EPOCH", "soon", 1);
    CHECK_THROWS_WITH(output_metadata(input, before, before, false, p), Catch::Contains("SOURCE_DATE_EPOCH='soon'"));
    ::unsetenv("SOURCE_DATE_EPOCH");
}

TEST_CASE("metadata settings: llama.cpp's --override-kv TYPE:VALUE, checked before any work", "[provenance]") {
    const auto i = parse_metadata_setting("test.n", "int:-7");
    CHECK(i.value.type() == ValueType::INT32);  // as llama-quantize stores an int override
    CHECK(i.value.as_i64() == -7);
    const auto u = parse_metadata_setting("general.file_type", "u32:15");
    CHECK(u.value.type() == ValueType::UINT32);
    CHECK(u.value.as_u64() == 15);
    CHECK(parse_metadata_setting("test.f", "float:0.5").value.type() == ValueType::FLOAT32);
    CHECK(parse_metadata_setting("test.b", "bool:true").value.as_bool());
    CHECK(parse_metadata_setting("general.name", "str:a:b").value.as_string() == "a:b");  // the first colon splits
    CHECK_THROWS_WITH(parse_metadata_setting("test.n", "int:7x"), Catch::Contains("'7x' is not an integer"));
    CHECK_THROWS_WITH(parse_metadata_setting("test.n", "int:3000000000"), Catch::Contains("does not fit a int"));
    CHECK_THROWS_WITH(parse_metadata_setting("test.n", "u32:-1"), Catch::Contains("does not fit a u32"));
    CHECK_THROWS_WITH(parse_metadata_setting("test.b", "bool:yes"), Catch::Contains("not true or false"));
    CHECK_THROWS_WITH(parse_metadata_setting("test.s", "str:" + std::string(128, 'x')), Catch::Contains("127 bytes"));
    CHECK_THROWS_WITH(parse_metadata_setting("test.s", "string:x"), Catch::Contains("unknown type 'string'"));
    CHECK_THROWS_WITH(parse_metadata_setting("test.s", "x"), Catch::Contains("not TYPE:VALUE"));
    CHECK_THROWS_WITH(parse_metadata_setting("qframe.version", "str:x"), Catch::Contains("qframe writes them itself"));
    CHECK_THROWS_WITH(parse_metadata_setting("general.alignment", "u32:64"), Catch::Contains("stays the input's"));
}
