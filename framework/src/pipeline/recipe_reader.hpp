// The pieces of the YAML reader that recipes and study files share: locations for errors,
// stage calls validated against their schemas, selections.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "qframe/recipe.hpp"

namespace qframe {

class Locator {
public:
    explicit Locator(std::string file) : file_(std::move(file)), folder_(std::filesystem::path(file_).parent_path()) {}
    std::string at(const YAML::Node& node) const {
        for (const auto& [set_node, flag] : from_command_line_)
            if (set_node.is(node)) return fmt::format("{} ({})", file_, flag);
        const YAML::Mark mark = node.Mark();
        if (mark.is_null() || mark.line < 0) return file_;
        return fmt::format("{}:{}:{}", file_, mark.line + 1, mark.column + 1);
    }
    [[noreturn]] void fail(const YAML::Node& node, const std::string& what) const { throw Error(at(node) + ": " + what); }
    // Values that came from `--set ...` are named by that flag rather than a recipe position.
    void note_command_line(const YAML::Node& node, std::string flag) { from_command_line_.emplace_back(node, std::move(flag)); }
    bool from_command_line(const YAML::Node& node) const {
        return std::any_of(from_command_line_.begin(), from_command_line_.end(), [&](const auto& entry) { return entry.first.is(node); });
    }
    // A path `node` gives: relative to the file's folder, or as given when it came from --set
    // (relative to the working directory) or is absolute.
    std::filesystem::path resolve(const YAML::Node& node, const std::string& value) const {
        const std::filesystem::path path(value);
        if (path.is_absolute() || from_command_line(node)) return path;
        return (folder_ / path).lexically_normal();
    }

private:
    std::string file_;
    std::filesystem::path folder_;
    std::vector<std::pair<YAML::Node, std::string>> from_command_line_;
};

struct RecipeFile {
    std::string text;
    YAML::Node root;
};

// The file as text: a regular file of at most kMaxSettingsFileBytes; `what` names it in errors.
std::string read_text(const std::filesystem::path& path, std::string_view what);
// Parses the text; a syntax error or a root that is not a mapping fails with its location.
RecipeFile parse_recipe(std::string text, const std::filesystem::path& path);
std::string scalar(const Locator& loc, const YAML::Node& node, const char* what);
void check_keys(const Locator& loc, const YAML::Node& map, const std::set<std::string>& allowed, const char* what);
// Checks a stage's options against its schema and fills in defaults.
Options validate_options(const Locator& loc, const YAML::Node& given, const StageDescriptor& stage, const YAML::Node& where);
// `select: { KEY: VALUE, … }` as selector calls.
std::vector<StageCall> resolve_selection(const Locator& loc, const StageCatalog& catalog, const YAML::Node& select);

// The keys that make a recipe entry a stage ("quantize", …), each with the prefix of its names.
struct StageKey {
    std::string key;
    std::string name_prefix;
};
std::vector<StageKey> stage_keys();

// One stage entry ({quantize: NAME, select:, options:, require_match:} and `extra_keys`), the
// `index`-th of its list (0-based; its label counts from 1).
PlannedStage read_stage(const Locator& loc, const StageCatalog& catalog, const YAML::Node& entry, size_t index,
                        const std::set<std::string>& extra_keys = {});

// Sets map[key] to `value` read as YAML (or as a plain string when it is not YAML), noted as
// coming from the command-line flag `--set <set>` so errors name the flag.
void set_from_command_line(Locator& loc, YAML::Node map, const std::string& key, const std::string& value, const std::string& set);

// `imatrix: FILE` or `imatrix: {file: FILE, include: [...], exclude: [...]}` (a recipe's or a
// study's); an empty choice when `node` is absent.
ImportanceChoice read_importance_choice(const Locator& loc, const YAML::Node& node);

// A path the file gives (Locator::resolve); empty when `node` is absent.
std::filesystem::path path_value(const Locator& loc, const YAML::Node& node, const char* what);
// Throws qframe::Error unless `path` is a file this process can read: "<path>: no such file".
void check_readable_file(const std::filesystem::path& path);

}  // namespace qframe
