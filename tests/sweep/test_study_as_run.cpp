// The study a sweep writes into its folder (study_as_run.hpp) reads back from any folder to the
// same study: every path in it absolute, File options of treatments and baseline stages included.
#include <catch2/catch.hpp>

#include <fstream>

#include "qframe/catalog.hpp"
#include "qframe/study.hpp"
#include "qframe/synth.hpp"
#include "study_as_run.hpp"
#include "temp_dir.hpp"

QFRAME_DECLARE_STATIC_PLUGIN(selectors);

using namespace qframe;

namespace {

// A quantizer that names a file it reads (as an imatrix-taking one would); quantizes nothing here.
class Named : public Quantizer {
public:
    QuantizedTensor quantize(const TensorData& t) const override { return {static_cast<TensorType>(t.type_id), {t.bytes.begin(), t.bytes.end()}, Findings::object()}; }
};

void register_stages(Registry& r) {
    r.add("quant.test_reads_table", "reads a table", {OptionSpec::file("table", "a file it reads", std::nullopt)},
          [](const Options&) { return std::make_unique<Named>(); });
}

const PluginInfo kPlugin{QFRAME_PLUGIN_ABI_VERSION, "sweep_tests", "0.1", register_stages};

}  // namespace

TEST_CASE("study as run: the model, the text and the treatments' and baseline's files become absolute paths") {
    test::TempDir dir;
    std::filesystem::create_directories(dir / "studies" / "tables");
    std::filesystem::create_directories(dir / "models");
    synthesize_model(*find_synth_preset("micro"), 1, dir / "models" / "in.gguf");
    std::ofstream(dir / "studies" / "text.txt") << "Once upon a time";
    std::ofstream(dir / "studies" / "tables" / "a.bin") << "a";
    std::ofstream(dir / "studies" / "tables" / "b.bin") << "b";
    const auto file = dir / "studies" / "s.yaml";
    std::ofstream(file) << R"(qframe: 1
name: files
model: { input: ../models/in.gguf }
baseline:
  - quantize: test_reads_table
    options: { table: tables/a.bin }
study:
  text: text.txt
  groups: { per: tensor, select: { name: "*_norm.weight" } }
  treatments:
    - { quantize: test_reads_table, options: { table: tables/b.bin }, name: b }
out: ../out
)";
    StageCatalog catalog;
    catalog.add_static_plugin(kPlugin, "(test stages)");
    catalog.add_static_plugin(*QFRAME_STATIC_PLUGIN_FUNCTION(selectors)(), "(static selectors)");
    const Study study = load_study(file, catalog);

    // Written somewhere else entirely, as a sweep writes it into its folder.
    std::filesystem::create_directories(dir / "elsewhere");
    std::ofstream(dir / "elsewhere" / "study.yaml") << sweep::study_as_run(study);
    const Study back = load_study(dir / "elsewhere" / "study.yaml", catalog);
    CHECK(back.input == dir / "models" / "in.gguf");
    CHECK(back.eval_text == dir / "studies" / "text.txt");
    REQUIRE(back.baseline.size() == 1);
    CHECK(back.baseline[0].call.options.get_string("table") == (dir / "studies" / "tables" / "a.bin").string());
    REQUIRE(back.treatments.size() == 1);
    CHECK(back.treatments[0].call.options.get_string("table") == (dir / "studies" / "tables" / "b.bin").string());
}
