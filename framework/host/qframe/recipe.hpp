// YAML recipes: which model, which stages on which tensors, where results go. A recipe is read in
// two steps: its plugin paths first (so their stages exist), then the full plan, validated
// against the stages' option schemas before anything runs. Errors name file:line:column.
#pragma once

#include "qframe/export.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qframe/catalog.hpp"
#include "qframe/importance.hpp"
#include "qframe/provenance.hpp"

namespace qframe {

// A stage with validated options, and where the recipe asked for it.
struct StageCall {
    const StageDescriptor* stage = nullptr;
    Options options;
    std::string where;  // "recipes/x.yaml:12:5", or "--set ..." for command-line values
};

struct PlannedStage {
    StageCall call;
    std::vector<StageCall> selectors;  // all must accept a tensor; none: every tensor
    bool has_selection = false;        // false: the kind's default set (evaluators: changed tensors)
    bool require_match = false;        // an empty selection is an error
    std::string label;                 // "2: quant.bf16_truncate"
    ImportanceChoice imatrix{};        // a quantizer's own `imatrix:`, instead of the run's; file empty: the run's
};

struct Plan {
    std::filesystem::path recipe_path;
    std::string recipe_text;
    std::vector<std::string> overrides;  // the --set STAGE.OPTION=VALUE applied to the text
    std::string name;
    std::filesystem::path input, output, report;  // output/report empty: not written
    ImportanceChoice imatrix;                     // what every quantizer weighs by; file empty: none
    std::vector<MetadataSetting> metadata;        // `metadata:`: keys the output is given
    std::vector<PlannedStage> stages;
};

struct RecipeOverrides {
    std::optional<std::filesystem::path> input{}, output{}, report{};
    // "STAGE.OPTION=VALUE"; STAGE is a 1-based index, a full stage name or its short name.
    std::vector<std::string> sets{};
    std::optional<std::filesystem::path> imatrix{};
};

// Makes a call's stage object; a failure (an option value the stage refuses, say) is a
// qframe::Error "<where>: <stage>: <problem>". make_call_as<T> also checks the kind.
QFRAME_API std::shared_ptr<Stage> make_call(const StageCall& call);
template <class T>
std::shared_ptr<T> make_call_as(const StageCall& call) {
    if (call.stage->kind != T::kind)
        throw Error(fmt::format("{}: {} is a {}, not a {}", call.where, call.stage->name, to_string(call.stage->kind), to_string(T::kind)));
    return std::static_pointer_cast<T>(make_call(call));
}

// The text evaluations score when a recipe names none: recipes/data/tinystories_sample.txt of
// the source tree qframe was built from, as an absolute path (so it is found from any folder).
QFRAME_API std::filesystem::path default_text();

// The `plugins:` paths a recipe names (a relative one against the recipe's folder).
QFRAME_API std::vector<std::filesystem::path> recipe_plugin_paths(const std::filesystem::path& recipe, std::string_view what = "recipe");

// Reads, resolves and validates the whole recipe; throws qframe::Error with a location.
QFRAME_API Plan load_plan(const std::filesystem::path& recipe, const StageCatalog& catalog, const RecipeOverrides& overrides = {});
// The same for recipe text already in memory; `path` names it in errors.
QFRAME_API Plan load_plan_text(std::string text, const std::filesystem::path& path, const StageCatalog& catalog,
                    const RecipeOverrides& overrides = {});

}  // namespace qframe
