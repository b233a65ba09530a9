// The stages available to a run: loaded from plugin libraries (Boost.DLL), indexed by name.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "qframe/error.hpp"
#include "qframe/plugin.hpp"
#include "qframe/stage_kinds.hpp"

namespace qframe {

struct StageDescriptor {
    std::string name;  // "quant.bf16_truncate"
    StageKind kind;
    std::string description;
    OptionSchema schema;
    std::string plugin;          // the plugin's own name
    std::string plugin_version;
    std::filesystem::path file;  // the library it came from
    StageFactory make;
};

class StageCatalog {
public:
    StageCatalog();
    ~StageCatalog();
    StageCatalog(const StageCatalog&) = delete;
    StageCatalog& operator=(const StageCatalog&) = delete;

    // Loads one plugin library; throws qframe::Error naming the file for a missing file, a
    // library without the entry point, an ABI mismatch or a stage name already taken.
    void load_plugin(const std::filesystem::path& file);
    // Loads every *.so in `dir` (sorted by name); a path to a file loads just that file.
    void load_path(const std::filesystem::path& dir_or_file);
    // Built-in plugins beside the executable, then $QFRAME_PLUGIN_PATH (':'-separated).
    void load_default_paths();

    const StageDescriptor* find(const std::string& name) const;
    const std::vector<StageDescriptor>& stages() const { return stages_; }
    const std::vector<std::filesystem::path>& loaded_files() const { return files_; }

    // Where built-in plugins live, relative to the running executable.
    static std::filesystem::path builtin_plugin_dir();

private:
    struct Libraries;
    // Declared first so it is destroyed last: stage factories point into these libraries.
    std::unique_ptr<Libraries> libraries_;
    std::vector<StageDescriptor> stages_;
    std::vector<std::filesystem::path> files_;
};

// Creates a stage of the interface its kind implements, e.g. make_stage<Quantizer>(d, options).
template <class T>
std::unique_ptr<T> make_stage(const StageDescriptor& d, const Options& options) {
    if (d.kind != T::kind)
        throw Error(fmt::format("{} is a {}, not a {}", d.name, to_string(d.kind), to_string(T::kind)));
    std::unique_ptr<Stage> stage = d.make(options);
    if (!stage) throw Error(fmt::format("{}: the stage factory returned nothing", d.name));
    return std::unique_ptr<T>(static_cast<T*>(stage.release()));
}

}  // namespace qframe
