// qframe synth --out FILE [--preset NAME] [--seed N] [--layers N]
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common.hpp"
#include "qframe/error.hpp"
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
        ("seed,s", po::value<uint64_t>()->default_value(1), "random seed (same seed, same bytes)")
        ("layers,l", po::value<int64_t>(), fmt::format("number of layers instead of the preset's (1 to {})", kMaxSynthLayers).c_str());
    const auto vm = parse(args, "qframe synth --out FILE [--preset NAME] [--seed N] [--layers N]", options);
    if (!vm) return 0;

    const std::string name = (*vm)["preset"].as<std::string>();
    const SynthPreset* found = find_synth_preset(name);
    if (!found) throw UsageError(fmt::format("unknown preset '{}' (presets: {})", name, names));
    SynthPreset preset = *found;
    if (vm->count("layers")) {
        try {
            preset = with_layers(preset, (*vm)["layers"].as<int64_t>());
        } catch (const Error& e) {
            throw UsageError(fmt::format("--layers: {}", e.what()));
        }
    }
    const std::string out = (*vm)["out"].as<std::string>();
    const uint64_t seed = (*vm)["seed"].as<uint64_t>();
    synthesize_model(preset, seed, out);
    spdlog::info("wrote {} (preset {}, {} layers, seed {})", out, preset.name, preset.n_layer, seed);
    return 0;
}

}  // namespace qframe::cli
