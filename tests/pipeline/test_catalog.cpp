// The catalog: static plugins pass the same checks as loaded ones, descriptors stay where they
// are while more plugins join, and stage objects keep their library loaded.
#include <catch2/catch.hpp>

#include <algorithm>

#include "qframe/catalog.hpp"
#include "test_stages.hpp"

using namespace qframe;

namespace {

void register_prefixless(Registry& r) {
    r.add("negate", "no kind prefix", {}, [](const Options&) { return std::make_unique<test::Negate>(); });
}
void register_duplicate(Registry& r) {
    r.add("quant.test_negate", "taken", {}, [](const Options&) { return std::make_unique<test::Negate>(); });
}
void register_bad_kind(Registry& r) { r.add(StageInfo{"quant.odd", static_cast<StageKind>(42), "", {}, nullptr}); }
void register_nothing(Registry&) {}

std::string error_of(StageCatalog& catalog, const PluginInfo& info) {
    try {
        catalog.add_static_plugin(info, "(bad)");
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("catalog: static plugins register every kind through one path") {
    StageCatalog catalog;
    test::load_test_catalog(catalog);
    const auto* negate = catalog.find("quant.test_negate");
    REQUIRE(negate);
    CHECK(negate->kind == StageKind::Quantizer);
    CHECK(negate->plugin == "pipeline_tests");
    CHECK(negate->file == "(test stages)");
    CHECK(catalog.find("eval.test_count_changed")->kind == StageKind::ModelEvaluator);
    CHECK(catalog.find("eval.test_same_bytes")->kind == StageKind::Evaluator);
    CHECK(catalog.find("select.name")->kind == StageKind::Selector);
    CHECK(catalog.find("select.name")->plugin == "selectors");
    CHECK(catalog.find("quant.nope") == nullptr);

    CHECK(make_stage<Quantizer>(*negate, {}) != nullptr);
    CHECK_THROWS_WITH(make_stage<Analyzer>(*negate, {}), Catch::Contains("quant.test_negate is a quantizer, not a analyzer"));
}

TEST_CASE("catalog: a static plugin is refused for the same faults as a loaded one") {
    StageCatalog catalog;
    test::load_test_catalog(catalog);
    const size_t before = catalog.stages().size();
    CHECK_THAT(error_of(catalog, {QFRAME_PLUGIN_ABI_VERSION + 1, "future", "1", register_nothing}),
               Catch::Contains("was built for qframe plugin ABI"));
    CHECK_THAT(error_of(catalog, {QFRAME_PLUGIN_ABI_VERSION, "p", "1", register_prefixless}),
               Catch::Contains("quantizer stage 'negate' must be named 'quant.<name>'"));
    CHECK_THAT(error_of(catalog, {QFRAME_PLUGIN_ABI_VERSION, "p", "1", register_duplicate}),
               Catch::Contains("stage 'quant.test_negate' is already provided by (test stages)"));
    CHECK_THAT(error_of(catalog, {QFRAME_PLUGIN_ABI_VERSION, "p", "1", register_bad_kind}), Catch::Contains("unknown kind (42)"));
    CHECK_THAT(error_of(catalog, {QFRAME_PLUGIN_ABI_VERSION, "p", "1", nullptr}), Catch::Contains("has no register function"));
    CHECK(catalog.stages().size() == before);  // a refused plugin adds nothing
}

// With descriptors in a std::vector, loading the later plugins reallocated it and `first`
// dangled; a stage object made from it then outlived its library once the catalog was gone.
TEST_CASE("catalog: descriptors stay put as plugins load, and stages keep their library loaded") {
    const std::filesystem::path dir = std::filesystem::path(QFRAME_BINARY_DIR) / "lib" / "qframe" / "plugins";
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".so") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    // tensor_diff first, then the others: each load adds stages behind it.
    const auto diff = std::find_if(files.begin(), files.end(), [](const auto& f) { return f.filename() == "qframe_tensor_diff.so"; });
    REQUIRE(diff != files.end());
    std::rotate(files.begin(), diff, diff + 1);
    REQUIRE(files.size() >= 6);

    std::shared_ptr<Evaluator> stage;
    {
        auto catalog = std::make_unique<StageCatalog>();
        catalog->load_plugin(files.front());
        const StageDescriptor* first = catalog->find("eval.tensor_diff");
        REQUIRE(first);
        const std::string name = first->name;
        for (size_t i = 1; i < files.size(); ++i) catalog->load_plugin(files[i]);
        REQUIRE(catalog->stages().size() > 10);
        CHECK(catalog->find("eval.tensor_diff") == first);
        CHECK(first->name == name);
        stage = make_stage<Evaluator>(*first, {});
    }  // the catalog, and its reference to the library, are gone

    const std::string name = "t";
    const std::vector<uint64_t> dims{4};
    const std::vector<float> a{1, 2, 3, 4}, b{1, 2, 3, 5};
    const TensorData before{name, 0, find_type(0), dims, std::as_bytes(std::span(a))};
    const TensorData after{name, 0, find_type(0), dims, std::as_bytes(std::span(b))};
    const Findings f = stage->evaluate(before, after);  // runs code from the plugin library
    CHECK(f.at("changed").get<int>() == 1);
}
