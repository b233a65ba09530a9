#include "pipeline/recipe_reader.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <vector>

#include "qframe/error.hpp"
#include "qframe/input_file.hpp"

namespace qframe {
namespace {

// Converts one YAML value to an option of the declared kind, or explains what was expected.
OptionValue convert_option(const Locator& loc, const YAML::Node& node, const OptionSpec& spec, const std::string& stage) {
    const auto bad = [&](const std::string& expected) {
        loc.fail(node, fmt::format("option '{}' of {} must be {}", spec.name, stage, expected));
    };
    if (spec.kind == OptionKind::StringList) {
        std::vector<std::string> items;
        if (node.IsScalar()) items.push_back(node.as<std::string>());
        else if (node.IsSequence())
            for (const auto& item : node) items.push_back(scalar(loc, item, "a list item"));
        else bad("a string or a list of strings");
        return items;
    }
    if (!node.IsScalar()) bad("a single value");
    const std::string text = node.as<std::string>();
    const auto in_range = [&](double v) {
        if ((spec.min && v < *spec.min) || (spec.max && v > *spec.max))
            loc.fail(node, fmt::format("option '{}' of {} is {}, out of range [{}, {}]", spec.name, stage, text,
                                       spec.min ? fmt::format("{}", *spec.min) : "-inf", spec.max ? fmt::format("{}", *spec.max) : "inf"));
    };
    switch (spec.kind) {
        case OptionKind::Bool: {
            bool v;
            if (!YAML::convert<bool>::decode(node, v)) bad("true or false");
            return v;
        }
        case OptionKind::Int: {
            int64_t v;
            if (!YAML::convert<int64_t>::decode(node, v)) bad(fmt::format("an integer, not '{}'", text));
            in_range(static_cast<double>(v));
            return v;
        }
        case OptionKind::Float: {
            double v;
            if (!YAML::convert<double>::decode(node, v) || !std::isfinite(v)) bad(fmt::format("a finite number, not '{}'", text));
            in_range(v);
            return v;
        }
        case OptionKind::Choice:
            if (std::find(spec.choices.begin(), spec.choices.end(), text) == spec.choices.end())
                bad(fmt::format("one of {}, not '{}'", fmt::join(spec.choices, "|"), text));
            return text;
        default:
            return text;
    }
}

// A File option's path once checked: every file a stage reads is there before any stage runs.
std::string readable_file(const Locator& loc, const YAML::Node& node, const std::filesystem::path& path, const OptionSpec& spec,
                          const std::string& stage) {
    try {
        check_readable_file(path);
    } catch (const Error& e) {
        loc.fail(node, fmt::format("option '{}' of {}: {}", spec.name, stage, e.what()));
    }
    return path.string();
}

// The stage a recipe names under `key` (a kind's recipe key, or "select" for selectors).
const StageDescriptor& find_stage(const Locator& loc, const StageCatalog& catalog, const YAML::Node& node, const std::string& name,
                                  const std::string& key) {
    const auto answers_to = [&](StageKind kind) {
        const char* k = kind_info(kind).recipe_key;
        return k ? key == k : key == "select";
    };
    const StageDescriptor* stage = catalog.find(name);
    if (!stage) {
        std::vector<std::string> known;
        for (const auto& s : catalog.stages())
            if (answers_to(s.kind)) known.push_back(s.name);
        const auto kind = std::find_if(stage_kinds().begin(), stage_kinds().end(), [&](const StageKindInfo& k) { return answers_to(k.kind); });
        loc.fail(node, fmt::format("unknown {} stage '{}' (available: {}; see qframe plugins)", kind->name, name,
                                   known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", "))));
    }
    if (!answers_to(stage->kind))
        loc.fail(node, fmt::format("'{}' is a {}; it cannot be used with {}:", name, to_string(stage->kind), key));
    return *stage;
}

}  // namespace

std::string read_text(const std::filesystem::path& path, std::string_view what) {
    return read_input_text(path, what, kMaxSettingsFileBytes);
}

namespace {

// One walk over the recipe's distinct nodes (aliases share theirs), on its own stack (no
// recursion per level of nesting), that refuses two things yaml-cpp accepts:
// - a key given twice in one mapping: yaml-cpp keeps both entries and a lookup finds the first,
//   so a recipe with two `model:` would run one of them without a word;
// - aliases that expand too far: yaml-cpp shares an aliased node, but whatever reads the recipe
//   sees every use of it, and a few kilobytes of nested aliases ("billion laughs") expand to
//   gigabytes. The size as read — each node counted once per path to it — is computed once per
//   distinct node and must stay below a bound no honest recipe comes near.
constexpr uint64_t kMaxExpandedNodes = 1'000'000;

void refuse_duplicate_keys(const Locator& loc, const YAML::Node& map) {
    std::map<std::string, YAML::Mark> seen;
    for (const auto& kv : map) {
        if (!kv.first.IsScalar()) continue;
        const auto [first, added] = seen.emplace(kv.first.Scalar(), kv.first.Mark());
        if (!added)
            loc.fail(kv.first, fmt::format("key '{}' given twice in one mapping (first at line {}; YAML keeps both, so which counts would be a guess)",
                                           kv.first.Scalar(), first->second.line + 1));
    }
}

void check_keys_and_aliases(const Locator& loc, const YAML::Node& root) {
    using Identity = std::tuple<int, int, int>;
    const auto identity = [](const YAML::Node& n) {
        const YAML::Mark m = n.Mark();
        return Identity(m.pos, m.line, m.column);
    };
    std::map<Identity, uint64_t> expanded;  // finished nodes: their size as read
    std::set<Identity> open;                 // on the stack: reaching one again is a cycle
    struct Frame {
        YAML::Node node;
        bool children_pushed;
    };
    std::vector<Frame> stack{{root, false}};
    std::vector<uint64_t> sizes;  // a finished child's size, waiting for its parent
    while (!stack.empty()) {
        Frame& frame = stack.back();
        const YAML::Node node = frame.node;
        const bool container = node.IsMap() || node.IsSequence();
        const bool marked = !node.Mark().is_null();
        if (!frame.children_pushed) {
            if (container && marked) {
                if (const auto it = expanded.find(identity(node)); it != expanded.end()) {
                    sizes.push_back(it->second);
                    stack.pop_back();
                    continue;
                }
                if (!open.insert(identity(node)).second) loc.fail(node, "an alias refers to a node that contains it");
            }
            frame.children_pushed = true;  // before the pushes below move the stack
            if (node.IsSequence())
                for (const auto& item : node) stack.push_back({item, false});
            else if (node.IsMap()) {
                refuse_duplicate_keys(loc, node);
                for (const auto& kv : node) stack.push_back({kv.second, false});
            }
            sizes.push_back(std::numeric_limits<uint64_t>::max());  // marks where this node's children begin
            continue;
        }
        uint64_t total = 1;
        while (sizes.back() != std::numeric_limits<uint64_t>::max()) {
            total = std::min(total + sizes.back(), kMaxExpandedNodes + 1);
            sizes.pop_back();
        }
        sizes.pop_back();
        if (total > kMaxExpandedNodes)
            loc.fail(node, fmt::format("this part of the recipe expands to more than {} values through aliases; a recipe that large is not one", kMaxExpandedNodes));
        if (container && marked) {
            open.erase(identity(node));
            expanded.emplace(identity(node), total);
        }
        sizes.push_back(total);
        stack.pop_back();
    }
}

}  // namespace

RecipeFile parse_recipe(std::string text, const std::filesystem::path& path) {
    RecipeFile r{std::move(text), {}};
    try {
        r.root = YAML::Load(r.text);
    } catch (const YAML::ParserException& e) {
        throw Error(fmt::format("{}:{}:{}: YAML syntax error: {}", path.string(), e.mark.line + 1, e.mark.column + 1, e.msg));
    }
    const Locator loc(path.string());
    if (!r.root.IsMap()) loc.fail(r.root, "a recipe is a YAML mapping (qframe: 1, model:, stages: …)");
    check_keys_and_aliases(loc, r.root);
    return r;
}

std::string scalar(const Locator& loc, const YAML::Node& node, const char* what) {
    if (!node.IsScalar()) loc.fail(node, fmt::format("{} must be a single value", what));
    return node.as<std::string>();
}

std::string key_of(const Locator& loc, const YAML::Node& key) { return scalar(loc, key, "a key"); }

void check_keys(const Locator& loc, const YAML::Node& map, const std::set<std::string>& allowed, const char* what) {
    if (!map.IsMap()) loc.fail(map, fmt::format("{} must be a mapping", what));
    for (const auto& kv : map) {
        const auto key = key_of(loc, kv.first);
        if (!allowed.count(key))
            loc.fail(kv.first, fmt::format("unknown key '{}' in {} (allowed: {})", key, what, fmt::join(allowed, ", ")));
    }
}

// Checks a stage's options against its schema and fills in defaults.
Options validate_options(const Locator& loc, const YAML::Node& given, const StageDescriptor& stage, const YAML::Node& where) {
    std::map<std::string, OptionValue> values;
    if (given && !given.IsNull()) {
        if (!given.IsMap()) loc.fail(given, fmt::format("options of {} must be a mapping", stage.name));
        for (const auto& kv : given) {
            const auto key = key_of(loc, kv.first);
            const auto spec = std::find_if(stage.schema.begin(), stage.schema.end(), [&](const OptionSpec& s) { return s.name == key; });
            if (spec == stage.schema.end()) {
                std::vector<std::string> names;
                for (const auto& s : stage.schema) names.push_back(s.name);
                loc.fail(kv.first, fmt::format("{} has no option '{}' (options: {})", stage.name, key,
                                               names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
            }
            values[key] = convert_option(loc, kv.second, *spec, stage.name);
            if (spec->kind == OptionKind::File) values[key] = readable_file(loc, kv.second, loc.resolve(kv.second, kv.second.as<std::string>()), *spec, stage.name);
        }
    }
    for (const auto& spec : stage.schema) {
        if (values.count(spec.name)) continue;
        if (!spec.default_value) loc.fail(where, fmt::format("{} needs option '{}' ({})", stage.name, spec.name, describe(spec)));
        values[spec.name] = *spec.default_value;
        if (spec.kind == OptionKind::File) readable_file(loc, where, std::get<std::string>(*spec.default_value), spec, stage.name);
    }
    return Options(std::move(values));
}

// `select: { KEY: VALUE, … }`: each key names a selector stage "select.KEY". A mapping value is
// its options; any other value fills its first option (`name: "blk.*"` → pattern).
std::vector<StageCall> resolve_selection(const Locator& loc, const StageCatalog& catalog, const YAML::Node& select) {
    if (!select.IsMap()) loc.fail(select, "select must be a mapping such as { name: \"blk.*.ffn_norm.weight\", type: F32 }");
    std::vector<StageCall> out;
    for (const auto& kv : select) {
        const auto key = key_of(loc, kv.first);
        const auto& stage = find_stage(loc, catalog, kv.first, std::string(name_prefix(StageKind::Selector)) + key, "select");
        // (A default-constructed Node binds on first assignment; assigning to a bound one
        // would overwrite the recipe's own node.)
        YAML::Node options;
        if (kv.second.IsMap()) {
            options = kv.second;
        } else {
            if (stage.schema.empty()) loc.fail(kv.second, fmt::format("{} takes no value", stage.name));
            options = YAML::Node(YAML::NodeType::Map);
            options[stage.schema.front().name] = kv.second;
        }
        out.push_back({&stage, validate_options(loc, options, stage, kv.first), loc.at(kv.first)});
    }
    return out;
}

std::vector<StageKey> stage_keys() {
    std::vector<StageKey> keys;
    for (const auto& kind : stage_kinds()) {
        if (!kind.recipe_key) continue;
        const bool seen = std::any_of(keys.begin(), keys.end(), [&](const StageKey& k) { return k.key == kind.recipe_key; });
        if (!seen) keys.push_back({kind.recipe_key, kind.name_prefix});
    }
    return keys;
}

PlannedStage read_stage(const Locator& loc, const StageCatalog& catalog, const YAML::Node& s, size_t index,
                        const std::set<std::string>& extra_keys) {
    const auto keys = stage_keys();
    std::set<std::string> allowed{"select", "options", "require_match", "imatrix"};
    allowed.insert(extra_keys.begin(), extra_keys.end());
    std::vector<std::string> key_names;
    for (const auto& k : keys) allowed.insert(k.key), key_names.push_back(k.key);
    check_keys(loc, s, allowed, "a stage");
    const StageKey* which = nullptr;
    for (const auto& k : keys)
        if (s[k.key]) {
            if (which) loc.fail(s, fmt::format("a stage has exactly one of {}; this one has {} and {}", fmt::join(key_names, "/"), which->key, k.key));
            which = &k;
        }
    if (!which) loc.fail(s, fmt::format("a stage needs one of {}:", fmt::join(key_names, ":, ")));
    const YAML::Node name_node = s[which->key];
    const std::string name = which->name_prefix + scalar(loc, name_node, which->key.c_str());
    const auto& stage = find_stage(loc, catalog, name_node, name, which->key);

    PlannedStage planned;
    planned.label = fmt::format("{}: {}", index + 1, stage.name);
    planned.call = {&stage, validate_options(loc, s["options"], stage, name_node), loc.at(name_node)};
    if (const auto select = s["select"]) {
        if (kind_info(stage.kind).whole_model)
            loc.fail(select, fmt::format("{} evaluates the whole model and takes no select:", stage.name));
        planned.selectors = resolve_selection(loc, catalog, select);
        planned.has_selection = true;
    }
    if (const auto rm = s["require_match"]) {
        if (!YAML::convert<bool>::decode(rm, planned.require_match)) loc.fail(rm, "require_match must be true or false");
    }
    if (const auto im = s["imatrix"]) {
        if (stage.kind != StageKind::Quantizer) loc.fail(im, fmt::format("{} is a {}: only quantizers weigh by an importance matrix", stage.name, to_string(stage.kind)));
        planned.imatrix = read_importance_choice(loc, im);
    }
    return planned;
}

namespace {

std::vector<std::string> string_list(const Locator& loc, const YAML::Node& node, const char* what) {
    std::vector<std::string> out;
    if (!node) return out;
    if (!node.IsSequence()) loc.fail(node, fmt::format("{} must be a list of strings", what));
    for (const auto& item : node) out.push_back(scalar(loc, item, what));
    return out;
}

}  // namespace

ImportanceChoice read_importance_choice(const Locator& loc, const YAML::Node& node) {
    if (!node) return {};
    if (!node.IsMap()) return {path_value(loc, node, "imatrix")};
    check_keys(loc, node, {"file", "include", "exclude"}, "imatrix");
    if (!node["file"]) loc.fail(node, "imatrix: no file");
    ImportanceChoice choice{path_value(loc, node["file"], "imatrix.file"), string_list(loc, node["include"], "imatrix.include"),
                            string_list(loc, node["exclude"], "imatrix.exclude")};
    // llama-quantize refuses the two together: which would win is not obvious.
    if (!choice.include.empty() && !choice.exclude.empty())
        loc.fail(node, "imatrix: include and exclude cannot be used together (as in llama-quantize)");
    return choice;
}

std::filesystem::path path_value(const Locator& loc, const YAML::Node& node, const char* what) {
    return node ? loc.resolve(node, scalar(loc, node, what)) : std::filesystem::path();
}

void check_readable_file(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw Error(fmt::format("{}: no such file", path.string()));
    if (!std::filesystem::is_regular_file(path, ec)) throw Error(fmt::format("{}: not a file", path.string()));
    if (::access(path.c_str(), R_OK) != 0) throw Error(fmt::format("{}: cannot read it: {}", path.string(), std::strerror(errno)));
}

void set_from_command_line(Locator& loc, YAML::Node map, const std::string& key, const std::string& value, const std::string& set) {
    YAML::Node parsed;
    try {
        parsed = YAML::Load(value);
    } catch (const YAML::Exception&) {
        parsed = YAML::Node(value);
    }
    map[key] = parsed;
    loc.note_command_line(map[key], "--set " + set);
}

}  // namespace qframe
