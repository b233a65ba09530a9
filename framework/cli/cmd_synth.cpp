// qframe synth --out FILE [--preset NAME] [--seed N]
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common.hpp"
#include "qframe/synth.hpp"

namespace qframe::cli {

int run_synth(const std::vector<std::string>& args) {
    std::string presets, names;
    for (const auto& p : synth_presets()) {
        presets += fmt::format("\n  {:<15} {}", p.name, p.description);
        names += fmt::format("{}{}", names.empty() ? "" : ", ", p.name);
    }
    po::options_description options("synth options");
    options.add_options()
        ("out,o", po::value<std::string>()->required(), "GGUF file to write")
        ("preset,p", po::value<std::string>()->default_value(std::string(kDefaultSynthPreset)), ("model preset:" + presets).c_str())
        ("seed,s", po::value<uint64_t>()->default_value(1), "random seed (same seed, same bytes)");
    const auto vm = parse(args, "qframe synth --out FILE [--preset NAME] [--seed N]", options);
    if (!vm) return 0;

    const std::string name = (*vm)["preset"].as<std::string>();
    const SynthPreset* preset = find_synth_preset(name);
    if (!preset) throw UsageError(fmt::format("unknown preset '{}' (presets: {})", name, names));
    const std::string out = (*vm)["out"].as<std::string>();
    synthesize_model(*preset, (*vm)["seed"].as<uint64_t>(), out);
    spdlog::info("wrote {} (preset {}, seed {})", out, preset->name, (*vm)["seed"].as<uint64_t>());
    return 0;
}

}  // namespace qframe::cli
