#include "qframe/catalog.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "qframe/error.hpp"

namespace qframe {

namespace {

// Collects one plugin's stages; they join the catalog only if the whole plugin registers cleanly.
class PluginRegistry : public Registry {
public:
    PluginRegistry(const PluginInfo& info, const std::filesystem::path& file, std::shared_ptr<const void> library)
        : info_(info), file_(file), library_(std::move(library)) {}

    void add(StageInfo stage) override {
        if (static_cast<size_t>(stage.kind) >= stage_kinds().size())
            throw Error(fmt::format("{}: stage '{}' has an unknown kind ({})", file_.string(), stage.name, static_cast<int>(stage.kind)));
        const std::string_view prefix = name_prefix(stage.kind);
        if (!stage.name.starts_with(prefix) || stage.name.size() == prefix.size())
            throw Error(fmt::format("{}: {} stage '{}' must be named '{}<name>'", file_.string(), to_string(stage.kind), stage.name, prefix));
        if (!stage.make) throw Error(fmt::format("{}: stage '{}' has no factory", file_.string(), stage.name));
        stages.push_back({std::move(stage.name), stage.kind, std::move(stage.description), std::move(stage.schema),
                          info_.name ? info_.name : "?", info_.version ? info_.version : "?", file_, library_, std::move(stage.make)});
    }

    std::vector<StageDescriptor> stages;

private:
    const PluginInfo& info_;
    const std::filesystem::path& file_;
    std::shared_ptr<const void> library_;
};

}  // namespace

void StageCatalog::load_plugin(const std::filesystem::path& file) {
    if (!std::filesystem::exists(file)) throw Error(fmt::format("{}: plugin file does not exist", file.string()));
    for (const auto& f : files_)
        if (std::filesystem::equivalent(f, file)) return;  // the same library named twice

    auto lib = std::make_shared<boost::dll::shared_library>();
    try {
        lib->load(boost::dll::fs::path(file.string()), boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
    } catch (const std::exception& e) {
        throw Error(fmt::format("{}: cannot load plugin library: {}", file.string(), e.what()));
    }
    if (!lib->has(QFRAME_PLUGIN_ENTRY_SYMBOL))
        throw Error(fmt::format("{}: not a qframe plugin (it exports no '{}' function; declare it with QFRAME_PLUGIN)", file.string(),
                                QFRAME_PLUGIN_ENTRY_SYMBOL));
    const PluginInfo* info = lib->get<const PluginInfo*()>(QFRAME_PLUGIN_ENTRY_SYMBOL)();
    if (!info) throw Error(fmt::format("{}: the plugin entry point returned nothing", file.string()));
    add_plugin(*info, file, std::move(lib));
    files_.push_back(file);
}

void StageCatalog::add_static_plugin(const PluginInfo& info, const std::filesystem::path& origin) { add_plugin(info, origin, nullptr); }

void StageCatalog::add_plugin(const PluginInfo& info, const std::filesystem::path& file, std::shared_ptr<const void> library) {
    if (info.abi_version != QFRAME_PLUGIN_ABI_VERSION)
        throw Error(fmt::format("{}: plugin '{}' was built for qframe plugin ABI {}, but this qframe has ABI {}; rebuild it against this SDK",
                                file.string(), info.name ? info.name : "?", info.abi_version, QFRAME_PLUGIN_ABI_VERSION));
    if (!info.register_stages) throw Error(fmt::format("{}: the plugin has no register function", file.string()));

    PluginRegistry registry(info, file, std::move(library));
    try {
        info.register_stages(registry);
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(fmt::format("{}: plugin '{}' failed to register its stages: {}", file.string(), info.name ? info.name : "?", e.what()));
    }
    for (size_t i = 0; i < registry.stages.size(); ++i) {
        const auto& s = registry.stages[i];
        const StageDescriptor* clash = find(s.name);
        for (size_t j = 0; j < i && !clash; ++j)
            if (registry.stages[j].name == s.name) clash = &registry.stages[j];
        if (clash)
            throw Error(fmt::format("{}: stage '{}' is already provided by {}", file.string(), s.name, clash->file.string()));
    }
    spdlog::debug("loaded plugin {} {} ({} stages) from {}", info.name ? info.name : "?", info.version ? info.version : "?",
                  registry.stages.size(), file.string());
    for (auto& s : registry.stages) {
        stages_.push_back(std::move(s));
        by_name_.emplace(stages_.back().name, &stages_.back());
    }
}

void StageCatalog::load_path(const std::filesystem::path& path) {
    if (!std::filesystem::is_directory(path)) {
        load_plugin(path);
        return;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(path))
        if (entry.is_regular_file() && entry.path().extension() == ".so") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) load_plugin(f);
}

std::filesystem::path StageCatalog::builtin_plugin_dir() {
    const std::filesystem::path exe = boost::dll::program_location().string();
    return exe.parent_path().parent_path() / "lib" / "qframe" / "plugins";
}

void StageCatalog::load_default_paths() {
    const auto builtin = builtin_plugin_dir();
    if (std::filesystem::is_directory(builtin)) load_path(builtin);
    else spdlog::warn("no built-in plugins at {}", builtin.string());
    if (const char* env = std::getenv("QFRAME_PLUGIN_PATH")) {
        std::string paths = env;
        size_t start = 0;
        while (start <= paths.size()) {
            const size_t end = std::min(paths.find(':', start), paths.size());
            if (end > start) load_path(paths.substr(start, end - start));
            start = end + 1;
        }
    }
}

const StageDescriptor* StageCatalog::find(std::string_view name) const {
    const auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
}

std::shared_ptr<Stage> make_any_stage(const StageDescriptor& d, const Options& options) {
    // The object is released before the library reference beside it (reverse member order).
    struct Held {
        std::shared_ptr<const void> library;
        std::unique_ptr<Stage> stage;
    };
    auto held = std::make_shared<Held>(Held{d.library, d.make(options)});
    if (!held->stage) throw Error(fmt::format("{}: the stage factory returned nothing", d.name));
    return std::shared_ptr<Stage>(held, held->stage.get());
}

}  // namespace qframe
