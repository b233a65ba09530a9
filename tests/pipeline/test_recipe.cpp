// Recipe planning and option validation, in process: stage lookup through the kind table,
// defaults, selections, --set, and located errors.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "qframe/recipe.hpp"
#include "temp_dir.hpp"
#include "test_stages.hpp"

using namespace qframe;

namespace {

const StageCatalog& catalog() {
    static const auto c = [] {
        auto made = std::make_unique<StageCatalog>();
        test::load_test_catalog(*made);
        return made;
    }();
    return *c;
}

Plan plan(const std::string& text, const RecipeOverrides& o = {}) {
    RecipeOverrides with_input = o;
    if (!with_input.input) with_input.input = "in.gguf";
    return load_plan_text(text, "t.yaml", catalog(), with_input);
}

std::string error_of(const std::string& text, const RecipeOverrides& o = {}) {
    try {
        plan(text, o);
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("recipe: stages, labels, defaults and selections are planned") {
    const Plan p = plan(R"(qframe: 1
name: demo
model: { output: out.gguf }
stages:
  - analyze: test_configured
    select: { name: ["blk.*.attn_norm.weight", "re:^output.*"], layers: "0-2" }
    options: { mode: b }
  - quantize: test_negate
    require_match: true
  - evaluate: test_same_bytes
  - evaluate: test_count_changed
)");
    CHECK(p.name == "demo");
    CHECK(p.input == "in.gguf");
    CHECK(p.output == "out.gguf");
    REQUIRE(p.stages.size() == 4);
    CHECK(p.stages[0].label == "1: analyze.test_configured");
    CHECK(p.stages[0].call.options.get_int("bits") == 4);  // the default
    CHECK(p.stages[0].call.options.get_string("mode") == "b");
    CHECK(p.stages[0].call.where == "t.yaml:5:14");
    REQUIRE(p.stages[0].selectors.size() == 2);
    CHECK(p.stages[0].selectors[0].stage->name == "select.name");
    CHECK(p.stages[0].selectors[0].options.get_strings("pattern").size() == 2);
    CHECK(p.stages[0].selectors[1].options.get_string("range") == "0-2");
    CHECK(p.stages[0].has_selection);
    CHECK_FALSE(p.stages[1].has_selection);
    CHECK(p.stages[1].require_match);
    // Both evaluator kinds answer to evaluate:.
    CHECK(p.stages[2].call.stage->kind == StageKind::Evaluator);
    CHECK(p.stages[3].call.stage->kind == StageKind::ModelEvaluator);
}

TEST_CASE("recipe: --set overrides an option by index, full name or short name") {
    const std::string text = "qframe: 1\nstages:\n  - analyze: test_configured\n    options: { mode: a }\n";
    CHECK(plan(text, {.sets = {"1.bits=6"}}).stages[0].call.options.get_int("bits") == 6);
    CHECK(plan(text, {.sets = {"analyze.test_configured.mode=b"}}).stages[0].call.options.get_string("mode") == "b");
    CHECK(plan(text, {.sets = {"test_configured.bits=2"}}).stages[0].call.options.get_int("bits") == 2);
    CHECK_THAT(error_of(text, {.sets = {"1.bits=9"}}), Catch::Contains("t.yaml (--set 1.bits=9): option 'bits'") &&
                                                          Catch::Contains("out of range [2, 8]"));
    CHECK_THAT(error_of(text, {.sets = {"2.bits=3"}}), Catch::Contains("no stage '2' in the recipe"));
}

TEST_CASE("recipe: option values are validated against the stage's schema, with locations") {
    const auto stage = [](const std::string& options) {
        return "qframe: 1\nstages:\n  - analyze: test_configured\n    options: " + options + "\n";
    };
    CHECK_THAT(error_of(stage("{ mode: c }")), Catch::Contains("t.yaml:4:22: option 'mode' of analyze.test_configured must be one of a|b, not 'c'"));
    CHECK_THAT(error_of(stage("{ mode: a, bits: 12 }")), Catch::Contains("t.yaml:4:31: option 'bits' of analyze.test_configured is 12, out of range [2, 8]"));
    CHECK_THAT(error_of(stage("{ mode: a, bits: two }")), Catch::Contains("must be an integer, not 'two'"));
    CHECK_THAT(error_of(stage("{ mode: a, depth: 1 }")), Catch::Contains("t.yaml:4:25: analyze.test_configured has no option 'depth' (options: bits, mode)"));
    CHECK_THAT(error_of(stage("{ bits: 3 }")), Catch::Contains("t.yaml:3:14: analyze.test_configured needs option 'mode'"));
    CHECK_THAT(error_of(stage("[1, 2]")), Catch::Contains("options of analyze.test_configured must be a mapping"));
}

TEST_CASE("recipe: stage lookup follows the kind table") {
    CHECK_THAT(error_of("qframe: 1\nstages:\n  - quantize: nope\n"), Catch::Contains("t.yaml:3:15: unknown quantizer stage 'quant.nope' (available: quant.test_negate, quant.test_throws;"));
    CHECK_THAT(error_of("qframe: 1\nstages:\n  - analyze: test_negate\n"), Catch::Contains("unknown analyzer stage 'analyze.test_negate'"));
    CHECK_THAT(error_of("qframe: 1\nstages:\n  - quantize: test_negate\n    analyze: test_configured\n"),
               Catch::Contains("a stage has exactly one of"));
    CHECK_THAT(error_of("qframe: 1\nstages:\n  - select: { name: x }\n"), Catch::Contains("a stage needs one of"));
    CHECK_THAT(error_of("qframe: 1\nstages:\n  - evaluate: test_count_changed\n    select: { name: x }\n"),
               Catch::Contains("t.yaml:4:13: eval.test_count_changed evaluates the whole model and takes no select:"));
    CHECK_THAT(error_of("qframe: 1\nstages:\n  - quantize: test_negate\n    select: { nope: x }\n"),
               Catch::Contains("t.yaml:4:15: unknown selector stage 'select.nope'"));
}

TEST_CASE("options: reading an option as the wrong type, or one not declared, names the option") {
    const Options o({{"bits", int64_t{4}}, {"mode", std::string("a")}});
    CHECK(o.get_float("bits") == 4.0);  // integers widen
    CHECK_THROWS_WITH(o.get_string("bits"), "option 'bits' is an integer, read as a string");
    CHECK_THROWS_WITH(o.get_bool("mode"), "option 'mode' is a string, read as a bool");
    CHECK_THROWS_WITH(o.get_strings("mode"), "option 'mode' is a string, read as a list of strings");
    CHECK_THROWS_WITH(o.get_int("depth"), "option 'depth' is not declared by this stage");
}

TEST_CASE("recipe: relative paths in a recipe are read from its folder, the command line's and absolute ones as given") {
    test::TempDir dir;
    std::filesystem::create_directories(dir / "recipes");
    std::ofstream(dir / "recipes" / "text.txt") << "some text";
    const std::string text = R"(qframe: 1
model: { input: ../models/in.gguf, output: ../out/model.gguf }
report: ../out
stages:
  - analyze: test_reads_file
    options: { file: text.txt }
)";
    const auto recipe = dir / "recipes" / "r.yaml";
    const Plan p = load_plan_text(text, recipe, catalog());
    CHECK(p.input == dir / "models" / "in.gguf");
    CHECK(p.output == dir / "out" / "model.gguf");
    CHECK(p.report == dir / "out");
    CHECK(p.stages.at(0).call.options.get_string("file") == (dir / "recipes" / "text.txt").string());

    // --input, --output and --set come from the command line: the working directory's.
    RecipeOverrides o;
    o.input = "m.gguf";
    o.sets = {"1.file=" + (dir / "recipes" / "text.txt").string()};
    const Plan q = load_plan_text(text, recipe, catalog(), o);
    CHECK(q.input == "m.gguf");
    CHECK(q.stages.at(0).call.options.get_string("file") == (dir / "recipes" / "text.txt").string());
    o.sets = {"1.file=text.txt"};  // not in the working directory
    CHECK_THROWS_WITH(load_plan_text(text, recipe, catalog(), o),
                      Catch::Contains("r.yaml (--set 1.file=text.txt): option 'file' of analyze.test_reads_file: text.txt: no such file"));

    // A file a stage reads must be there before anything runs, with the recipe's location.
    const std::string missing = R"(qframe: 1
model: { input: in.gguf }
stages:
  - analyze: test_reads_file
    options: { file: nowhere.txt }
)";
    CHECK_THROWS_WITH(load_plan_text(missing, recipe, catalog()),
                      Catch::Contains("r.yaml:5:22: option 'file' of analyze.test_reads_file: " + (dir / "recipes" / "nowhere.txt").string() + ": no such file"));
    const std::string folder = R"(qframe: 1
model: { input: in.gguf }
stages:
  - analyze: test_reads_file
    options: { file: . }
)";
    CHECK_THROWS_WITH(load_plan_text(folder, recipe, catalog()), Catch::Contains(": not a file"));
}
