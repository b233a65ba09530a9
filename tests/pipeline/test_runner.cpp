// The runner, in process: what each selection picks, what each kind of stage sees, what is
// written, and that a failing stage leaves no output.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "qframe/provenance.hpp"
#include "qframe/recipe.hpp"
#include "qframe/runner.hpp"
#include "qframe/sha256.hpp"
#include "temp_dir.hpp"
#include "test_stages.hpp"

using namespace qframe;

namespace {

struct Fixture {
    test::TempDir dir;
    StageCatalog catalog;
    Fixture() {
        test::load_test_catalog(catalog);
        test::write_micro_model(dir / "in.gguf");
    }
    Plan plan(const std::string& stages) {
        return load_plan_text("qframe: 1\nstages:\n" + stages, dir / "t.yaml", catalog,
                              {dir / "in.gguf", dir / "out.gguf", std::nullopt, {}});
    }
    std::vector<std::string> selected(const std::string& select) {
        const Plan p = plan("  - analyze: test_configured\n    options: { mode: a }\n    select: " + select + "\n");
        return run_plan(p, {1, true, {}}).stages.at(0).selected;
    }
};

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("runner: selections pick tensors by name, layer and type, several selectors all must agree") {
    Fixture f;
    CHECK(f.selected("{ name: \"blk.*.attn_norm.weight\" }") == Names{"blk.0.attn_norm.weight"});
    CHECK(f.selected("{ name: \"re:^output.*\" }") == Names{"output_norm.weight", "output.weight"});
    CHECK(f.selected("{ type: F32 }") == Names{"blk.0.attn_norm.weight", "blk.0.ffn_norm.weight", "output_norm.weight"});
    CHECK(f.selected("{ layers: \"0\", type: F32 }") == Names{"blk.0.attn_norm.weight", "blk.0.ffn_norm.weight"});
    CHECK(f.selected("{ layers: \"1-3\" }").empty());
    // Without select:, an analyzer sees every tensor.
    const Plan all = f.plan("  - analyze: test_configured\n    options: { mode: a }\n");
    CHECK(run_plan(all, {1, true, {}}).stages.at(0).selected.size() == GgufFile::open(f.dir / "in.gguf").tensors().size());
}

TEST_CASE("runner: a quantizer's result replaces the tensor, evaluators see before and after, the output holds it") {
    Fixture f;
    const Plan p = f.plan(R"(  - quantize: test_negate
    select: { name: "*_norm.weight" }
  - evaluate: test_same_bytes
  - evaluate: test_same_bytes
    select: { name: token_embd.weight }
  - evaluate: test_count_changed
)");
    const RunResult r = run_plan(p, {2, false, {}});
    const Names norms{"blk.0.attn_norm.weight", "blk.0.ffn_norm.weight", "output_norm.weight"};
    CHECK(r.rewritten == norms);
    CHECK(r.changed == norms);
    // An evaluator without select: sees the rewritten tensors only.
    CHECK(r.stages[1].selected == norms);
    for (const auto& [name, findings] : r.stages[1].findings) CHECK(findings.at("same") == false);
    CHECK(r.stages[2].findings.at(0).second.at("same") == true);
    const Findings model = r.stages[3].findings.at(0).second;
    CHECK(model.at("changed") == 3);

    const GgufFile in = GgufFile::open(f.dir / "in.gguf"), out = GgufFile::open(f.dir / "out.gguf");
    REQUIRE(out.tensors().size() == in.tensors().size());
    for (size_t i = 0; i < in.tensors().size(); ++i) {
        const auto& a = in.tensors()[i];
        const auto& b = out.tensors()[i];
        REQUIRE(a.name == b.name);
        const bool negated = std::find(norms.begin(), norms.end(), a.name) != norms.end();
        if (!negated) {
            CHECK(std::equal(a.data.begin(), a.data.end(), b.data.begin(), b.data.end()));
            continue;
        }
        const auto va = in.decode(a), vb = out.decode(b);
        for (size_t k = 0; k < va.size(); ++k) REQUIRE(vb[k] == -va[k]);
    }
    // qframe.padding starts the data section at the input's offset within a page, whatever the
    // header's size (the kernel copies faster page to page).
    CHECK(out.data_offset() % kCopyPageBytes == in.data_offset() % kCopyPageBytes);
    CHECK(out.data_offset() != in.data_offset());
    // The norms were written over a run copied in one piece: the digest is of the file as it ends.
    CHECK(r.output.sha256 == sha256_file(f.dir / "out.gguf"));
    CHECK(r.output.size == std::filesystem::file_size(f.dir / "out.gguf"));
}

namespace {

std::vector<std::string> files_in(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::string file_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("runner: results go straight into the output from any number of threads, earlier quantizers' through a spill file") {
    Fixture f;
    ::setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    // Stage 1 negates every tensor into the spill file: the F16 matrices become F32, so every
    // offset after them moves. Stage 2, streamed into the output, negates the norms back.
    const Plan p = f.plan("  - quantize: test_negate\n  - quantize: test_negate\n    select: { name: \"*_norm.weight\" }\n");
    std::string first;
    RunResult r;
    for (unsigned threads : {1u, 2u, 3u}) {
        r = run_plan(p, {threads, false, {}});
        const std::string bytes = file_text(f.dir / "out.gguf");
        if (first.empty()) first = bytes;
        CHECK(bytes == first);  // the same file whatever the threads' order
    }
    ::unsetenv("SOURCE_DATE_EPOCH");
    CHECK(files_in(f.dir.path) == Names{"in.gguf", "out.gguf"});  // the spill file had no name

    const GgufFile in = GgufFile::open(f.dir / "in.gguf"), out = GgufFile::open(f.dir / "out.gguf");
    REQUIRE(out.tensors().size() == in.tensors().size());
    CHECK(r.rewritten.size() == in.tensors().size());
    size_t norms = 0;
    for (size_t i = 0; i < in.tensors().size(); ++i) {
        const auto &a = in.tensors()[i], &b = out.tensors()[i];
        const bool norm = a.name.ends_with("_norm.weight");
        norms += norm;
        CHECK(std::count(r.changed.begin(), r.changed.end(), a.name) == !norm);
        if (norm) {
            CHECK(std::equal(a.data.begin(), a.data.end(), b.data.begin(), b.data.end()));
            continue;
        }
        CHECK(b.type_id == static_cast<uint32_t>(TensorType::F32));
        const auto va = in.decode(a), vb = out.decode(b);
        for (size_t k = 0; k < va.size(); ++k) REQUIRE(vb[k] == -va[k]);
    }
    CHECK(norms == 3);
    CHECK(r.output.sha256 == sha256_file(f.dir / "out.gguf"));
}

TEST_CASE("runner: failures name the stage and the tensor, and no output is written") {
    Fixture f;
    const Plan p = f.plan("  - quantize: test_negate\n  - quantize: test_throws\n    select: { name: output.weight }\n");
    for (unsigned threads : {1u, 2u})
        CHECK_THROWS_WITH(run_plan(p, {threads, false, {}}),
                          Catch::Contains("stage 2: quant.test_throws (quantizer from plugin 'pipeline_tests', (test stages)) failed on "
                                          "tensor 'output.weight': deliberate failure"));
    CHECK(files_in(f.dir.path) == Names{"in.gguf"});  // no output, no temporary file, no spill file

    // A selector's bad option fails when the run starts, before any stage, with its location.
    const Plan bad = f.plan("  - quantize: test_negate\n    select: { layers: \"3-1\" }\n");
    CHECK_THROWS_WITH(run_plan(bad, {1, false, {}}), Catch::Contains("t.yaml:4:15: select.layers: layer range '3-1': 3-1 is empty"));
    CHECK_FALSE(std::filesystem::exists(f.dir / "out.gguf"));

    const Plan empty = f.plan("  - quantize: test_negate\n    select: { name: nothing }\n    require_match: true\n");
    CHECK_THROWS_WITH(run_plan(empty, {1, false, {}}), Catch::Contains("selected no tensor (require_match: true)"));
}
