// A plan written as a recipe: readable (one stage per treatment, its tensors by name, a comment
// with what it is predicted to cost) and exactly what --apply runs.
#include <fmt/format.h>

#include <yaml-cpp/yaml.h>

#include <map>

#include "qframe/plan.hpp"
#include "qframe/stage_kinds.hpp"

namespace qframe {
namespace {

std::string yaml_quoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    return out + "\"";
}

std::string yaml_value(const OptionValue& v) {
    return std::visit(
        [](const auto& x) -> std::string {
            using X = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<X, bool>) return x ? "true" : "false";
            else if constexpr (std::is_same_v<X, std::string>) return yaml_quoted(x);
            else if constexpr (std::is_same_v<X, std::vector<std::string>>) {
                std::string out = "[";
                for (size_t i = 0; i < x.size(); ++i) out += (i ? ", " : "") + yaml_quoted(x[i]);
                return out + "]";
            } else return fmt::format("{}", x);
        },
        v);
}

}  // namespace

std::filesystem::path plan_importance_file(const Study& study) { return std::filesystem::absolute(study.imatrix.file).lexically_normal(); }

std::string plan_recipe(const MixPlan& plan, const std::filesystem::path& output) {
    const Study& study = plan.study;
    std::string out = fmt::format(
        "# qframe plan of study '{}' ({}): every grouped tensor's treatment, chosen so that the\n"
        "# predicted cost — the sum of the groups' one-at-a-time costs — is least within {} bytes.\n"
        "# Predicted cost {:.6g} (`qframe plan` prints the file's exact size; this text is in its header).\n"
        "# The cheap proxy rel_l2 ranks the study's {} candidates with Spearman's rho {:.3f} against the measured cost\n"
        "# ({:.3f} within a treatment, on average).\n"
        "# Tensors no stage names keep the input's bytes.\n"
        "qframe: 1\nname: {}\nmodel:\n  input: {}\n  output: {}\n",
        study.name, study.out.string(), plan.budget, plan.predicted, plan.proxy_pairs, plan.proxy_rank_correlation,
        plan.proxy_rank_correlation_within,
        yaml_quoted(study.name + "-plan"),
        // Absolute: the recipe is read from its own folder, wherever `qframe plan` ran.
        yaml_quoted(std::filesystem::absolute(study.input).lexically_normal().string()),
        yaml_quoted(std::filesystem::absolute(output).lexically_normal().string()));
    // The study's importance matrix: the plan's tensors are encoded as the study measured them.
    if (const auto& im = study.imatrix; !im.file.empty()) {
        out += fmt::format("imatrix: {{ file: {}", yaml_quoted(plan_importance_file(study).string()));
        for (const auto& [key, parts] : {std::pair{"include", &im.include}, {"exclude", &im.exclude}})
            if (!parts->empty()) out += fmt::format(", {}: {}", key, yaml_value(*parts));
        out += " }\n";
    }
    out += "stages:\n";
    // The study's baseline stages first, on every tensor the plan does not treat: the treatments
    // then quantize the input's values, as the study measured them.
    std::vector<std::string> treated;
    for (const auto& g : plan.groups)
        if (g.treatment) treated.insert(treated.end(), g.tensors.begin(), g.tensors.end());
    if (!study.baseline_text.empty()) {
        out += "  # the study's baseline stages, on the tensors the plan leaves at the baseline\n";
        YAML::Node baseline = YAML::Load(study.baseline_text);
        for (YAML::Node entry : baseline) {
            if (entry["select"] && entry["select"].IsMap() && !treated.empty()) {
                YAML::Node names(YAML::NodeType::Sequence);
                for (const auto& t : treated) names.push_back(t);
                entry["select"]["exclude"] = names;
            }
            YAML::Emitter e;
            e.SetMapFormat(YAML::Flow);
            e.SetSeqFormat(YAML::Flow);
            e << entry;
            out += fmt::format("  - {}\n", e.c_str());
        }
    }
    // Per treatment, in the study's order: its groups' tensors.
    std::map<size_t, std::vector<const GroupChoice*>> by_treatment;
    for (const auto& g : plan.groups)
        if (g.treatment) by_treatment[*g.treatment].push_back(&g);
    for (const auto& [t, groups] : by_treatment) {
        const Treatment& treatment = study.treatments[t];
        const StageDescriptor& stage = *treatment.call.stage;
        size_t n = 0;
        uint64_t bytes = 0;
        double cost = 0;
        std::string names;
        for (const GroupChoice* g : groups) {
            for (const auto& name : g->tensors) names += fmt::format("{}{}", n++ ? ", " : "", yaml_quoted(name));
            bytes += g->bytes;
            cost += g->cost;
        }
        const auto prefix = std::string_view(name_prefix(stage.kind));
        const std::string short_name = std::string_view(stage.name).starts_with(prefix) ? stage.name.substr(prefix.size()) : stage.name;
        out += fmt::format("  # {}: {} group(s), {} tensor(s), {} bytes, predicted cost {:.6g}\n", treatment.name, groups.size(), n, bytes, cost);
        out += fmt::format("  - {}: {}\n    select: {{ name: [{}] }}\n    require_match: true\n", kind_info(stage.kind).recipe_key, short_name, names);
        if (!treatment.call.options.values().empty()) {
            out += "    options: {";
            size_t i = 0;
            for (const auto& [key, value] : treatment.call.options.values()) out += fmt::format("{} {}: {}", i++ ? "," : "", key, yaml_value(value));
            out += " }\n";
        }
    }
    if (by_treatment.empty() && study.baseline_text.empty()) out += "  []  # every group keeps its baseline bytes: a copy of the input\n";
    return out;
}

}  // namespace qframe
