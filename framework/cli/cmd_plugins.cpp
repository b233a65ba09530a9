// qframe plugins [--plugin-path P]...: every stage with its kind, options, version and file.
#include <fmt/format.h>

#include "catalog_loading.hpp"
#include "common.hpp"

namespace qframe::cli {

int run_plugins(const std::vector<std::string>& args) {
    po::options_description options("plugins options");
    options.add_options()("plugin-path", po::value<std::vector<std::string>>()->composing(), "also load plugins from this file or directory");
    const auto vm = parse(args, "qframe plugins [--plugin-path P]...", options);
    if (!vm) return 0;
    std::vector<std::filesystem::path> extra;
    if (vm->count("plugin-path"))
        for (const auto& p : (*vm)["plugin-path"].as<std::vector<std::string>>()) extra.emplace_back(p);
    StageCatalog catalog;
    load_catalog(catalog, extra);

    for (const auto& kind : stage_kinds()) {
        fmt::print("{}s:\n", kind.name);
        for (const auto& s : catalog.stages()) {
            if (s.kind != kind.kind) continue;
            fmt::print("  {}  — {}\n    plugin {} {} ({})\n", s.name, s.description, s.plugin, s.plugin_version, s.file.string());
            for (const auto& o : s.schema) fmt::print("    - {}\n", describe(o));
        }
    }
    return 0;
}

}  // namespace qframe::cli
