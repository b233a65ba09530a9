#include "study_as_run.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "qframe/catalog.hpp"

namespace qframe::sweep {
namespace {

// File options as the study resolved them when it was read: absolute already.
void absolute_files(YAML::Node entry, const StageCall& call) {
    for (const OptionSpec& spec : call.stage->schema)
        if (spec.kind == OptionKind::File && entry["options"] && entry["options"][spec.name])
            entry["options"][spec.name] = call.options.get_string(spec.name);
}

}  // namespace

std::string study_as_run(const Study& study) {
    YAML::Node root = YAML::Load(study.text);
    root["model"]["input"] = std::filesystem::absolute(study.input).string();
    root["study"]["text"] = std::filesystem::absolute(study.eval_text).string();
    for (size_t i = 0; root["plugins"] && i < root["plugins"].size(); ++i) {
        const std::filesystem::path plugin = root["plugins"][i].as<std::string>();
        root["plugins"][i] = std::filesystem::absolute(study.path.parent_path() / plugin).lexically_normal().string();
    }
    for (size_t i = 0; root["baseline"] && i < root["baseline"].size() && i < study.baseline.size(); ++i)
        absolute_files(root["baseline"][i], study.baseline[i].call);
    YAML::Node treatments = root["study"]["treatments"];
    for (size_t i = 0; treatments && i < treatments.size() && i < study.treatments.size(); ++i)
        absolute_files(treatments[i], study.treatments[i].call);
    if (!study.imatrix.file.empty()) {
        const std::string file = std::filesystem::absolute(study.imatrix.file).lexically_normal().string();
        if (root["imatrix"].IsMap()) root["imatrix"]["file"] = file;
        else root["imatrix"] = file;
    }
    root.remove("out");
    return "# qframe sweep: the study as run (--set values applied, paths made absolute)\n" + YAML::Dump(root) + "\n";
}

}  // namespace qframe::sweep
