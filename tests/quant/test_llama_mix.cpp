// quant.mix's rule (plugins/llama_mix/mix_rules.cpp) against llama-quantize's own choices,
// recorded in tests/cli/data/llama_mixes/: every tensor, every mix, on synthesized llama models of
// 4, 22 and 80 layers (the 80-layer one is llama.cpp's "70B", with its own attn_v rule) and on
// the models of ../shared/data (trained_a, tiny_llama, stories260K, whose rows fit no K block).
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <cctype>
#include <sstream>

#include "llama_mix/mix_rules.hpp"
#include "qframe/gguf.hpp"
#include "qframe/synth.hpp"
#include "qframe/tensor_view.hpp"

namespace {

namespace fs = std::filesystem;
using qframe::llama_mix::find_mix;

struct Facts {
    std::vector<std::string> mixes;                        // the columns
    std::vector<std::pair<std::string, std::vector<std::string>>> rows;  // tensor → type per mix
};

Facts read_facts(const std::string& name) {
    std::ifstream in(fs::path(QFRAME_SOURCE_DIR) / "tests/cli/data/llama_mixes" / (name + ".tsv"));
    REQUIRE(in);
    Facts f;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream cells(line);
        std::string first, cell;
        std::getline(cells, first, '\t');
        std::vector<std::string> rest;
        while (std::getline(cells, cell, '\t')) rest.push_back(cell);
        if (first == "tensor") f.mixes = rest;
        else f.rows.emplace_back(first, rest);
    }
    REQUIRE(!f.mixes.empty());
    return f;
}

// Every tensor of `model` gets llama-quantize's type under every mix of the facts; with
// `importance`, as llama-quantize chose with an importance matrix (its has_imatrix).
void check_against_facts(const fs::path& model_path, const std::string& facts_name, bool importance = false) {
    const Facts facts = read_facts(facts_name);
    const auto model = qframe::GgufFile::open(model_path);
    qframe::FileModelInfo info(model);
    info.info.has_importance = importance;
    std::map<std::string, const qframe::TensorInfo*> by_name;
    for (const auto& t : model.tensors()) by_name[t.name] = &t;
    REQUIRE(by_name.size() == facts.rows.size());
    size_t checked = 0, more_bits = 0;
    for (size_t m = 0; m < facts.mixes.size(); ++m) {
        const auto* mix = find_mix(facts.mixes[m]);
        REQUIRE(mix);
        for (const auto& [name, types] : facts.rows) {
            INFO(facts_name << ": " << facts.mixes[m] << " " << name);
            REQUIRE(by_name.count(name));
            const auto& t = *by_name[name];
            const auto chosen = qframe::llama_mix::mix_type(*mix, qframe::tensor_view(t, &info.info));
            const std::string got = chosen ? std::string(qframe::type_name(*chosen)) : std::string(t.type->name);
            CHECK(got == types[m]);
            ++checked;
            more_bits += chosen && *chosen != mix->base && got != "F32";
        }
    }
    CHECK(more_bits > 0);  // the facts do exercise the rules, not only the base type
    INFO(checked << " choices checked");
}

// The synthesized presets of the other architectures and the facts recorded on each (seed 0).
constexpr std::pair<const char*, const char*> kArchPresets[] = {
    {"qwen2", "qwen2_4l"},      {"qwen2-untied", "qwen2_untied_4l"}, {"gemma", "gemma_4l"},       {"gemma2", "gemma2_26l"},
    {"phi3", "phi3_4l"},        {"mixtral", "mixtral_4l"},           {"mixtral8", "mixtral8_4l"}, {"qwen2moe", "qwen2moe_4l"},
};

fs::path shared(const std::string& relative) { return fs::path(QFRAME_SOURCE_DIR) / ".." / "shared" / "data" / relative; }

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("qframe-mix-" + std::to_string(::getpid()));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("llama mixes: synthesized llama models of 4, 22 and 80 layers, as llama-quantize chose", "[llama_mix]") {
    TempDir dir;
    for (int layers : {4, 22, 80}) {
        const auto path = dir.path / "model.gguf";
        qframe::synthesize_model(qframe::with_layers(*qframe::find_synth_preset("llama3"), layers), 0, path);
        check_against_facts(path, "llama3_" + std::to_string(layers) + "l");
    }
}

TEST_CASE("llama mixes: synthesized qwen2 (tied and untied), gemma, gemma2, phi3, Mixtral-style and qwen2moe models, as llama-quantize chose", "[llama_mix]") {
    // A tied output makes token_embd take the output's type; gemma2's 128-wide rows fit no
    // K-quant block, so every K mix falls back as llama-quantize does; phi3's fused attn_qkv is
    // counted as a value tensor and has rules of its own; with exactly 8 experts llama.cpp keeps
    // attn_k and attn_v at Q8_0 and gives attn_output Q5_K (but Q3_K under Q3_K_L).
    TempDir dir;
    for (const auto& [preset, facts] : kArchPresets) {
        const auto path = dir.path / "model.gguf";
        qframe::synthesize_model(*qframe::find_synth_preset(preset), 0, path);
        check_against_facts(path, facts);
    }
}

TEST_CASE("llama mixes: mixtures of experts at 22 layers (use_more_bits over ffn_down_exps and ffn_down_shexp), as llama-quantize chose", "[llama_mix]") {
    TempDir dir;
    for (const auto& [preset, facts] : {std::pair{"mixtral8", "mixtral8_22l"}, std::pair{"qwen2moe", "qwen2moe_22l"}}) {
        const auto path = dir.path / "model.gguf";
        qframe::synthesize_model(qframe::with_layers(*qframe::find_synth_preset(preset), 22), 0, path);
        check_against_facts(path, facts);
    }
}

TEST_CASE("llama mixes: the shared models, as llama-quantize chose", "[llama_mix]") {
    for (const auto& [file, facts] : {std::pair{"models/trained-a-f16.gguf", "trained_a"}, std::pair{"models/tiny-llama-f16.gguf", "tiny_llama"},
                                      std::pair{"models/stories260K.gguf", "stories260k"}}) {
        if (!fs::exists(shared(file))) {
            WARN("SKIPPED: " << shared(file).string() << " is absent");
            continue;
        }
        check_against_facts(shared(file), facts);
    }
}

// The IQ and TQ mixes, without an importance matrix (the mixes llama-quantize runs without one)
// and with one (all 14, but where llama-imatrix left experts out): *_iq.tsv, *_iq_imatrix.tsv.
void check_iq_facts(const fs::path& model, const std::string& name) {
    check_against_facts(model, name + "_iq");
    check_against_facts(model, name + "_iq_imatrix", true);
}

TEST_CASE("llama mixes: the IQ and TQ mixes, with and without an importance matrix, as llama-quantize chose", "[llama_mix]") {
    TempDir dir;
    for (int layers : {4, 22}) {
        const auto path = dir.path / "model.gguf";
        qframe::synthesize_model(qframe::with_layers(*qframe::find_synth_preset("llama3"), layers), 0, path);
        check_iq_facts(path, "llama3_" + std::to_string(layers) + "l");
    }
    for (const auto& [preset, facts] : kArchPresets) {
        const auto path = dir.path / "model.gguf";
        qframe::synthesize_model(*qframe::find_synth_preset(preset), 0, path);
        check_iq_facts(path, facts);
    }
    if (!fs::exists(shared("models/trained-a-f16.gguf"))) {
        WARN("SKIPPED: trained-a is absent");
        return;
    }
    check_iq_facts(shared("models/trained-a-f16.gguf"), "trained_a");
}

TEST_CASE("llama mixes: where llama-quantize refuses, so does the rule", "[llama_mix]") {
    // stories260K's ffn_down rows (172 values) fit no 32-block: llama-quantize refuses Q8_0 and
    // Q4_0 ("Unsupported tensor size"), as recorded in stories260k.tsv's header.
    if (!fs::exists(shared("models/stories260K.gguf"))) {
        WARN("SKIPPED: stories260K is absent");
        return;
    }
    const auto model = qframe::GgufFile::open(shared("models/stories260K.gguf"));
    const qframe::FileModelInfo info(model);
    for (const auto& t : model.tensors())
        if (t.name == "blk.0.ffn_down.weight")
            for (const char* mix : {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
                CHECK_THROWS_WITH(qframe::llama_mix::mix_type(*find_mix(mix), qframe::tensor_view(t, &info.info)),
                                  Catch::Matchers::Contains("Unsupported tensor size"));
    CHECK(find_mix("Q4_K_M") != nullptr);
    CHECK(find_mix("IQ2_XS") != nullptr);  // every llama_ftype is a mix
    CHECK(find_mix("Q4_K") == nullptr);     // llama-quantize's alias, not a file type
}

TEST_CASE("llama mixes: the llama-quantize files of ../shared/data/models, type for type", "[llama_mix]") {
    // tiny-llama-<mix>.gguf were written by llama.cpp's own llama-quantize from tiny-llama-f16.gguf
    // (../shared/data/README.md): the rule, run on the F16 file, gives each tensor its type there.
    const auto source = shared("models/tiny-llama-f16.gguf");
    if (!fs::exists(source)) {
        WARN("SKIPPED: " << source.string() << " is absent");
        return;
    }
    const auto f16 = qframe::GgufFile::open(source);
    const qframe::FileModelInfo info(f16);
    size_t files = 0;
    for (const char* mix : {"Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"}) {
        std::string lower = mix;
        for (char& c : lower) c = static_cast<char>(std::tolower(c));
        const auto path = shared("models/tiny-llama-" + lower + ".gguf");
        if (!fs::exists(path)) continue;
        ++files;
        const auto quantized = qframe::GgufFile::open(path);
        for (const auto& t : f16.tensors()) {
            INFO(mix << " " << t.name);
            const auto* q = quantized.find_tensor(t.name);
            REQUIRE(q);
            const auto chosen = qframe::llama_mix::mix_type(*find_mix(mix), qframe::tensor_view(t, &info.info));
            CHECK(std::string(chosen ? qframe::type_name(*chosen) : t.type->name) == std::string(q->type->name));
        }
    }
    CHECK(files == 10);
}
