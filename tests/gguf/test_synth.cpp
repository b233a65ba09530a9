#include <catch2/catch.hpp>

#include <cstring>

#include "qframe/codec.hpp"
#include "qframe/synth.hpp"
#include "temp_dir.hpp"

using namespace qframe;
using qframe::test::TempDir;

namespace {

// Share of values whose low 16 bits are zero, i.e. exactly representable in BF16.
double bf16_exact_share(const std::vector<float>& values) {
    size_t exact = 0;
    for (float v : values) {
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        exact += (bits & 0xffff) == 0;
    }
    return static_cast<double>(exact) / values.size();
}

}  // namespace

TEST_CASE("synth: TinyLlama-like preset has BF16-exact F32 norms and quantized matrices") {
    TempDir dir;
    synthesize_model(*find_synth_preset("tinyllama"), 1, dir / "m.gguf");
    const auto f = GgufFile::open(dir / "m.gguf");
    CHECK(f.metadata().get_string("general.architecture") == "llama");
    CHECK(f.find_tensor("rope_freqs.weight") == nullptr);
    size_t norms = 0;
    for (const auto& t : f.tensors()) {
        if (t.name.find("norm") != std::string::npos) {
            CHECK(t.type_name() == "F32");
            CHECK(bf16_exact_share(f.decode(t)) == 1.0);
            ++norms;
        } else {
            CHECK(t.type_name() == "Q8_0");
        }
    }
    CHECK(norms == 2 * 4 + 1);
    // The vocabulary is sized like token_embd and carries byte fallback tokens.
    const auto* tokens = f.metadata().find("tokenizer.ggml.tokens");
    REQUIRE(tokens);
    CHECK(tokens->size() == f.find_tensor("token_embd.weight")->dims[1]);
    CHECK(tokens->strings().at(3 + 0x41) == "<0x41>");
}

TEST_CASE("synth: Llama-3-like preset has a rope_freqs.weight that is not BF16-exact") {
    TempDir dir;
    synthesize_model(*find_synth_preset("llama3"), 1, dir / "m.gguf");
    const auto f = GgufFile::open(dir / "m.gguf");
    const auto* rope = f.find_tensor("rope_freqs.weight");
    REQUIRE(rope);
    CHECK(rope->type_name() == "F32");
    const auto values = f.decode(*rope);
    CHECK(values.size() == f.metadata().get_u64("llama.rope.dimension_count").value() / 2);
    CHECK(bf16_exact_share(values) < 1.0);
    CHECK(values.front() == 1.0f);  // highest frequency unscaled
    CHECK(values.back() == 8.0f);   // lowest frequency scaled by the full factor
    CHECK(f.find_tensor("blk.0.attn_q.weight")->type_name() == "F16");
    CHECK(f.metadata().find("llama.rope.freq_base")->as_double() == 500000.0);
}

TEST_CASE("synth: with_layers gives another depth, 1 to kMaxSynthLayers, and names it") {
    const SynthPreset& llama3 = *find_synth_preset("llama3");
    const SynthPreset deep = with_layers(llama3, 22);
    CHECK(deep.n_layer == 22);
    CHECK(deep.n_embd == llama3.n_embd);
    CHECK(with_layers(llama3, kMaxSynthLayers).n_layer == kMaxSynthLayers);
    CHECK_THROWS_WITH(with_layers(llama3, 0), Catch::Contains("1 to 512 layers, not 0"));
    CHECK_THROWS_WITH(with_layers(llama3, kMaxSynthLayers + 1), Catch::Contains("not 513"));

    TempDir dir;
    synthesize_model(with_layers(*find_synth_preset("micro"), 3), 1, dir / "m.gguf");
    const auto f = GgufFile::open(dir / "m.gguf");
    CHECK(f.metadata().get_u64("llama.block_count") == 3u);
    CHECK(f.metadata().get_string("general.name") == "qframe-synth-micro-3l-seed1");
    CHECK(f.find_tensor("blk.2.ffn_down.weight"));
    CHECK_FALSE(f.find_tensor("blk.3.ffn_down.weight"));
}
