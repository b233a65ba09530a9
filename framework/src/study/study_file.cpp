// Reading a study file: the recipe family's YAML reader (locations, stage calls, selections) with
// the study's own sections.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "pipeline/recipe_reader.hpp"
#include "qframe/error.hpp"
#include "qframe/study.hpp"

namespace qframe {
namespace {

constexpr int kStudyFormat = 1;

struct Named {
    const char* name;
    int value;
};
constexpr Named kGroupBy[] = {{"tensor", int(GroupBy::Tensor)}, {"layer", int(GroupBy::Layer)}, {"role", int(GroupBy::Role)},
                              {"layer_role", int(GroupBy::LayerRole)}};
constexpr Named kNumerics[] = {{"ggml", 0}, {"f32", 1}};
constexpr Named kModes[] = {{"one_at_a_time", int(StudyMode::OneAtATime)}, {"all_but_one", int(StudyMode::AllButOne)},
                            {"adaptive", int(StudyMode::Adaptive)}};
constexpr const char* kAdaptiveKeys[] = {"measure_budget", "calibrate_at", "calibrate_layers", "plan_bpw"};

template <size_t N>
const char* name_of(const Named (&names)[N], int value) {
    for (const auto& n : names)
        if (n.value == value) return n.name;
    return "?";
}

template <size_t N>
int choice(const Locator& loc, const YAML::Node& node, const Named (&names)[N], const char* what) {
    const std::string v = scalar(loc, node, what);
    std::vector<std::string> allowed;
    for (const auto& n : names) {
        if (v == n.name) return n.value;
        allowed.push_back(n.name);
    }
    loc.fail(node, fmt::format("{} must be one of {}, not '{}'", what, fmt::join(allowed, "|"), v));
}

uint32_t count(const Locator& loc, const YAML::Node& node, const char* what, uint32_t min, uint32_t max) {
    int64_t v;
    if (!node.IsScalar() || !YAML::convert<int64_t>::decode(node, v) || v < min || v > max)
        loc.fail(node, fmt::format("{} must be an integer in [{}, {}]", what, min, max));
    return static_cast<uint32_t>(v);
}

// Applies one --set KEY.PATH=VALUE: walks (and creates) the mappings of the path.
void apply_set(const std::string& set, YAML::Node root, Locator& loc) {
    const auto eq = set.find('=');
    if (eq == std::string::npos || eq == 0) throw Error(fmt::format("--set {}: expected KEY.PATH=VALUE (e.g. study.chunks=2)", set));
    const std::string path = set.substr(0, eq), value = set.substr(eq + 1);
    YAML::Node node = root;
    size_t start = 0;
    while (true) {
        const size_t dot = std::min(path.find('.', start), path.size());
        const std::string key = path.substr(start, dot - start);
        if (key.empty()) throw Error(fmt::format("--set {}: empty key in '{}'", set, path));
        if (!node.IsMap() && !node.IsNull()) throw Error(fmt::format("--set {}: '{}' is not inside a mapping", set, key));
        if (dot == path.size()) return set_from_command_line(loc, node, key, value, set);
        if (!node[key]) node[key] = YAML::Node(YAML::NodeType::Map);  // a section the file leaves out
        node.reset(node[key]);
        start = dot + 1;
    }
}

std::vector<Treatment> read_treatments(const Locator& loc, const StageCatalog& catalog, const YAML::Node& study) {
    const YAML::Node list = study["treatments"];
    if (!list || !list.IsSequence() || list.size() == 0) loc.fail(list ? list : study, "study.treatments must be a non-empty list of quantizers");
    std::vector<Treatment> out;
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
        const YAML::Node entry = list[i];
        PlannedStage stage = read_stage(loc, catalog, entry, i, {"name"});
        if (!stage.imatrix.file.empty()) loc.fail(entry["imatrix"], "a study's treatments weigh by the study's imatrix: (a stage's own is for recipes)");
        const YAML::Node where = entry[kind_info(stage.call.stage->kind).recipe_key];
        if (stage.call.stage->kind != StageKind::Quantizer)
            loc.fail(where, fmt::format("a treatment is a quantizer (quantize: …), not the {} {}", to_string(stage.call.stage->kind),
                                        stage.call.stage->name));
        if (stage.has_selection) loc.fail(entry["select"], "a treatment takes no select: (groups: select: says which tensors)");
        Treatment t{entry["name"] ? scalar(loc, entry["name"], "name") : std::string(stage.call.stage->name.substr(6)), std::move(stage.call)};
        if (t.name.empty() || t.name.find_first_of("@/ ") != std::string::npos)
            loc.fail(entry["name"] ? entry["name"] : where, fmt::format("treatment name '{}' must be non-empty, without '@', '/' or spaces", t.name));
        if (!names.insert(t.name).second)
            loc.fail(entry["name"] ? entry["name"] : where, fmt::format("two treatments are named '{}'; give each a name:", t.name));
        out.push_back(std::move(t));
    }
    return out;
}

// executor: { kind: local|slurm, partition:, time:, cpus_per_task:, tasks:, sbatch_args: [ … ] }
ExecutorSettings read_executor(const Locator& loc, const YAML::Node& node) {
    ExecutorSettings e;
    if (!node) return e;
    check_keys(loc, node, {"kind", "partition", "time", "cpus_per_task", "tasks", "sbatch_args"}, "executor");
    if (node["kind"]) {
        e.kind = scalar(loc, node["kind"], "executor.kind");
        if (e.kind != "local" && e.kind != "slurm") loc.fail(node["kind"], fmt::format("executor.kind must be local|slurm, not '{}'", e.kind));
    }
    if (node["partition"]) e.partition = scalar(loc, node["partition"], "executor.partition");
    if (node["time"]) e.time = scalar(loc, node["time"], "executor.time");
    if (node["cpus_per_task"]) e.cpus_per_task = count(loc, node["cpus_per_task"], "executor.cpus_per_task", 1, 1 << 16);
    if (node["tasks"]) e.tasks = count(loc, node["tasks"], "executor.tasks", 1, 1 << 20);
    if (const auto args = node["sbatch_args"]) {
        if (!args.IsSequence()) loc.fail(args, "executor.sbatch_args must be a list of sbatch arguments, e.g. [\"--mem=8G\"]");
        for (const auto& a : args) e.sbatch_args.push_back(scalar(loc, a, "executor.sbatch_args"));
    }
    return e;
}

double real(const Locator& loc, const YAML::Node& node, const char* what, double above, double max) {
    double v;
    if (!node.IsScalar() || !YAML::convert<double>::decode(node, v) || !(v > above && v <= max))
        loc.fail(node, fmt::format("{} must be a number above {} and at most {}", what, above, max));
    return v;
}

// 0 (a setting off), or a number in (0, max].
double zero_or_real(const Locator& loc, const YAML::Node& node, const char* what, double max) {
    double v;
    if (node.IsScalar() && YAML::convert<double>::decode(node, v) && v == 0) return 0;
    return real(loc, node, what, 0, max);
}

// study.measure_budget, calibrate_at, calibrate_layers, plan_bpw: only an adaptive study reads them.
void read_adaptive(const Locator& loc, const YAML::Node& s, Study& study) {
    for (const char* key : kAdaptiveKeys)
        if (s[key] && study.mode != StudyMode::Adaptive) loc.fail(s[key], fmt::format("study.{} is a setting of mode: adaptive", key));
    AdaptiveSettings& a = study.adaptive;
    if (s["measure_budget"]) a.measure_budget = real(loc, s["measure_budget"], "study.measure_budget", 0, 1);
    if (const YAML::Node at = s["calibrate_at"]) {
        a.calibrate_at = scalar(loc, at, "study.calibrate_at");
        if (std::none_of(study.treatments.begin(), study.treatments.end(), [&](const Treatment& t) { return t.name == a.calibrate_at; }))
            loc.fail(at, fmt::format("study.calibrate_at: no treatment is named '{}'", a.calibrate_at));
    }
    if (const YAML::Node layers = s["calibrate_layers"]) a.calibrate_layers = count(loc, layers, "study.calibrate_layers", 1, 1u << 20);
    if (const YAML::Node bpw = s["plan_bpw"]) {
        if (!bpw.IsSequence() || bpw.size() == 0) loc.fail(bpw, "study.plan_bpw must be a list of bits per weight, e.g. [3.0, 4.0, 5.0]");
        for (const auto& v : bpw) a.plan_bpw.push_back(real(loc, v, "each of study.plan_bpw", 0, 64));
    }
}

}  // namespace

const char* to_string(GroupBy per) { return name_of(kGroupBy, static_cast<int>(per)); }
const char* to_string(StudyMode mode) { return name_of(kModes, static_cast<int>(mode)); }

Study load_study(const std::filesystem::path& file, const StageCatalog& catalog, const StudyOverrides& overrides) {
    auto r = parse_recipe(read_text(file, "study file"), file);
    Locator loc(file.string());
    YAML::Node root = r.root;
    for (const auto& set : overrides.sets) apply_set(set, root, loc);
    check_keys(loc, root, {"qframe", "name", "description", "model", "imatrix", "plugins", "baseline", "study", "out", "executor"}, "the study");
    if (!root["qframe"]) loc.fail(root, fmt::format("missing 'qframe: {}' (the format version)", kStudyFormat));
    if (scalar(loc, root["qframe"], "qframe") != std::to_string(kStudyFormat))
        loc.fail(root["qframe"], fmt::format("format {} is not supported (this qframe reads format {})", root["qframe"].as<std::string>(), kStudyFormat));

    Study study;
    study.path = file;
    study.executor = read_executor(loc, root["executor"]);
    {  // where it runs is not part of the study; how much an adaptive study measures is not
       // part of its results (a candidate measures the same in one_at_a_time and adaptive studies)
        YAML::Node keyed = YAML::Clone(root);
        keyed.remove("executor");
        study.text = YAML::Dump(keyed) + "\n";
        if (YAML::Node s = keyed["study"]; s && s.IsMap()) {
            for (const char* key : kAdaptiveKeys) s.remove(key);
            if (s["mode"] && s["mode"].IsScalar() && s["mode"].Scalar() == "adaptive") s["mode"] = "one_at_a_time";
        }
        study.results_text = YAML::Dump(keyed) + "\n";
    }
    study.name = root["name"] ? scalar(loc, root["name"], "name") : file.stem().string();
    if (const auto model = root["model"]) {
        check_keys(loc, model, {"input"}, "model");
        study.input = path_value(loc, model["input"], "model.input");
    }
    if (overrides.input) study.input = *overrides.input;
    if (study.input.empty()) loc.fail(root, "no input model: set model.input or pass --input");
    if (!std::filesystem::is_regular_file(study.input))
        loc.fail(root["model"] && root["model"]["input"] ? root["model"]["input"] : root, fmt::format("{}: no such model file", study.input.string()));
    study.out = root["out"] ? path_value(loc, root["out"], "out") : std::filesystem::path("out/studies") / study.name;
    if (overrides.out) study.out = *overrides.out;

    study.imatrix = read_importance_choice(loc, root["imatrix"]);
    if (!study.imatrix.file.empty() && !std::filesystem::is_regular_file(study.imatrix.file))
        loc.fail(root["imatrix"], fmt::format("{}: no such importance matrix", study.imatrix.file.string()));

    if (const auto baseline = root["baseline"]) {
        if (!baseline.IsSequence()) loc.fail(baseline, "baseline must be a list of stages");
        study.baseline_text = YAML::Dump(baseline);
        for (size_t i = 0; i < baseline.size(); ++i) {
            PlannedStage stage = read_stage(loc, catalog, baseline[i], i);
            if (!stage.imatrix.file.empty()) loc.fail(baseline[i]["imatrix"], "a study's baseline weighs by the study's imatrix: (a stage's own is for recipes)");
            if (stage.call.stage->kind != StageKind::Quantizer)
                loc.fail(baseline[i], fmt::format("baseline stages are quantizers; {} is a {}", stage.call.stage->name, to_string(stage.call.stage->kind)));
            study.baseline.push_back(std::move(stage));
        }
    }

    const YAML::Node s = root["study"];
    if (!s) loc.fail(root, "missing study: (text, ctx, chunks, groups, mode, treatments)");
    check_keys(loc, s, {"text", "ctx", "chunks", "kld_rel_error", "baseline_tail_mass", "baseline_max_tokens", "numerics", "groups", "mode", "treatments", "measure_budget", "calibrate_at", "calibrate_layers", "plan_bpw"},
               "study");
    study.eval_text = s["text"] ? path_value(loc, s["text"], "study.text") : default_text();
    if (!std::filesystem::is_regular_file(study.eval_text))
        loc.fail(s["text"] ? s["text"] : s, fmt::format("{}: no such text file (a relative path is read from the study file's folder)", study.eval_text.string()));
    if (s["ctx"]) study.ctx = count(loc, s["ctx"], "study.ctx", 8, 1 << 20);
    if (s["chunks"]) study.chunks = count(loc, s["chunks"], "study.chunks", 1, 1 << 20);
    if (s["kld_rel_error"]) study.kld_rel_error = zero_or_real(loc, s["kld_rel_error"], "study.kld_rel_error (0: every chunk)", 1);
    if (s["baseline_tail_mass"]) study.baseline_tail_mass = zero_or_real(loc, s["baseline_tail_mass"], "study.baseline_tail_mass (0: every token)", 0.5);
    if (const YAML::Node k = s["baseline_max_tokens"]) {
        study.baseline_max_tokens = count(loc, k, "study.baseline_max_tokens", 1, 1u << 30);
        if (study.baseline_tail_mass == 0) loc.fail(k, "study.baseline_max_tokens caps a compact baseline: set study.baseline_tail_mass too");
    }
    if (s["numerics"]) study.numerics = kNumerics[choice(loc, s["numerics"], kNumerics, "study.numerics")].name;
    if (s["mode"]) study.mode = static_cast<StudyMode>(choice(loc, s["mode"], kModes, "study.mode"));

    const YAML::Node groups = s["groups"];
    if (!groups) loc.fail(s, "study needs groups: { per: tensor|layer|role|layer_role, select: { … } }");
    check_keys(loc, groups, {"per", "select"}, "study.groups");
    if (!groups["per"]) loc.fail(groups, "study.groups needs per: tensor|layer|role|layer_role");
    study.per = static_cast<GroupBy>(choice(loc, groups["per"], kGroupBy, "study.groups.per"));
    if (groups["select"]) study.group_select = resolve_selection(loc, catalog, groups["select"]);
    study.group_where = loc.at(groups);
    study.treatments = read_treatments(loc, catalog, s);
    read_adaptive(loc, s, study);
    return study;
}

}  // namespace qframe
