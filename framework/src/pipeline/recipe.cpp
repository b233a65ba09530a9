#include "qframe/recipe.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>


#include "pipeline/recipe_reader.hpp"
#include "qframe/error.hpp"

#ifndef QFRAME_DATA_DIR
#error "QFRAME_DATA_DIR is set by framework/CMakeLists.txt"
#endif

namespace qframe {
namespace {

constexpr int kRecipeFormat = 1;

// Applies one --set STAGE.OPTION=VALUE to the stage list.
void apply_set(const std::string& set, YAML::Node stages, Locator& loc) {
    const auto eq = set.find('=');
    const auto dot = set.rfind('.', eq);
    if (eq == std::string::npos || dot == std::string::npos || dot == 0 || dot + 1 == eq)
        throw Error(fmt::format("--set {}: expected STAGE.OPTION=VALUE", set));
    const std::string target = set.substr(0, dot), option = set.substr(dot + 1, eq - dot - 1), value = set.substr(eq + 1);
    std::vector<YAML::Node> matches;
    for (size_t i = 0; i < stages.size(); ++i) {
        YAML::Node s = stages[i];
        if (!s.IsMap()) continue;
        for (const auto& k : stage_keys()) {
            if (!s[k.key]) continue;
            if (!s[k.key].IsScalar()) continue;
            const std::string name = s[k.key].as<std::string>();
            if (target == std::to_string(i + 1) || target == name || target == k.name_prefix + name) matches.push_back(s);
        }
    }
    if (matches.empty()) throw Error(fmt::format("--set {}: no stage '{}' in the recipe", set, target));
    if (matches.size() > 1) throw Error(fmt::format("--set {}: '{}' names {} stages; use its 1-based index", set, target, matches.size()));
    set_from_command_line(loc, matches.front()["options"], option, value, set);
}

// `metadata: {KEY: TYPE:VALUE, …}`.
std::vector<MetadataSetting> read_metadata(const Locator& loc, const YAML::Node& node) {
    std::vector<MetadataSetting> out;
    if (!node) return out;
    if (!node.IsMap()) loc.fail(node, "metadata must map keys to TYPE:VALUE (e.g. general.name: str:My model)");
    for (const auto& kv : node) {
        try {
            out.push_back(parse_metadata_setting(scalar(loc, kv.first, "a metadata key"), scalar(loc, kv.second, "a metadata value")));
        } catch (const Error& e) {
            loc.fail(kv.first, e.what());
        }
    }
    return out;
}

}  // namespace

std::shared_ptr<Stage> make_call(const StageCall& call) {
    try {
        return make_any_stage(*call.stage, call.options);
    } catch (const std::exception& e) {
        throw Error(fmt::format("{}: {}: {}", call.where, call.stage->name, e.what()));
    }
}

std::filesystem::path default_text() { return std::filesystem::path(QFRAME_DATA_DIR) / "tinystories_sample.txt"; }

std::vector<std::filesystem::path> recipe_plugin_paths(const std::filesystem::path& recipe, std::string_view what) {
    const auto r = parse_recipe(read_text(recipe, what), recipe);
    const Locator loc(recipe.string());
    std::vector<std::filesystem::path> out;
    if (const auto plugins = r.root["plugins"]) {
        if (!plugins.IsSequence()) loc.fail(plugins, "plugins must be a list of paths");
        for (const auto& p : plugins) out.push_back(path_value(loc, p, "a plugin path"));
    }
    return out;
}

Plan load_plan(const std::filesystem::path& recipe, const StageCatalog& catalog, const RecipeOverrides& overrides) {
    return load_plan_text(read_text(recipe, "recipe"), recipe, catalog, overrides);
}

Plan load_plan_text(std::string text, const std::filesystem::path& recipe, const StageCatalog& catalog, const RecipeOverrides& overrides) {
    auto r = parse_recipe(std::move(text), recipe);
    Locator loc(recipe.string());
    const YAML::Node& root = r.root;
    check_keys(loc, root, {"qframe", "name", "description", "model", "imatrix", "metadata", "report", "plugins", "stages"}, "the recipe");
    if (!root["qframe"]) loc.fail(root, fmt::format("missing 'qframe: {}' (the recipe format version)", kRecipeFormat));
    if (scalar(loc, root["qframe"], "qframe") != std::to_string(kRecipeFormat))
        loc.fail(root["qframe"], fmt::format("recipe format {} is not supported (this qframe reads format {})",
                                             root["qframe"].as<std::string>(), kRecipeFormat));

    Plan plan;
    plan.recipe_path = recipe;
    plan.recipe_text = r.text;
    plan.overrides = overrides.sets;
    plan.name = root["name"] ? scalar(loc, root["name"], "name") : recipe.stem().string();
    if (const auto model = root["model"]) {
        check_keys(loc, model, {"input", "output"}, "model");
        plan.input = path_value(loc, model["input"], "model.input");
        plan.output = path_value(loc, model["output"], "model.output");
    }
    plan.report = path_value(loc, root["report"], "report");
    plan.imatrix = read_importance_choice(loc, root["imatrix"]);
    if (overrides.imatrix) plan.imatrix = {*overrides.imatrix};
    plan.metadata = read_metadata(loc, root["metadata"]);
    if (overrides.input) plan.input = *overrides.input;
    if (overrides.output) plan.output = *overrides.output;
    if (overrides.report) plan.report = *overrides.report;
    if (plan.input.empty()) loc.fail(root, "no input model: set model.input in the recipe or pass --input");

    YAML::Node stages = root["stages"];
    // An empty list is a copy of the input (a plan that changes nothing says so).
    if (!stages || !stages.IsSequence()) loc.fail(stages ? stages : root, "stages must be a list of stages (empty: the input is copied)");
    for (const auto& set : overrides.sets) apply_set(set, stages, loc);

    for (size_t i = 0; i < stages.size(); ++i) {
        plan.stages.push_back(read_stage(loc, catalog, stages[i], i));
    }
    return plan;
}

}  // namespace qframe
