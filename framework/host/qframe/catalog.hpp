// The stages available to a run: from plugin libraries (Boost.DLL) or plugins compiled into the
// program, indexed by name. Descriptors never move once added, and every descriptor and every
// stage object made from it keeps its library loaded (as Boost.DLL's import_alias does).
#pragma once

#include "qframe/export.hpp"

#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
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
    std::filesystem::path file;  // the library it came from ("(static)" for a compiled-in plugin)
    // Declared before `make`, so released after it: the factory's code lives in that library.
    std::shared_ptr<const void> library;  // null for a compiled-in plugin
    StageFactory make;
};

class QFRAME_API StageCatalog {
public:
    StageCatalog() = default;
    StageCatalog(const StageCatalog&) = delete;
    StageCatalog& operator=(const StageCatalog&) = delete;

    // Loads one plugin library; throws qframe::Error naming the file for a missing file, a
    // library without the entry point, an ABI mismatch or a stage name already taken.
    void load_plugin(const std::filesystem::path& file);
    // Loads every *.so in `dir` (sorted by name); a path to a file loads just that file.
    void load_path(const std::filesystem::path& dir_or_file);
    // Built-in plugins beside the executable, then $QFRAME_PLUGIN_PATH (':'-separated).
    void load_default_paths();
    // A plugin compiled into the program (as GStreamer's static plugins): the same checks as a
    // loaded one; `origin` names it in messages and in `file`.
    void add_static_plugin(const PluginInfo& info, const std::filesystem::path& origin = "(static)");

    // Stable: the pointer stays valid, and keeps pointing at this stage, while the catalog lives.
    const StageDescriptor* find(std::string_view name) const;
    const std::deque<StageDescriptor>& stages() const { return stages_; }

    // Where built-in plugins live, relative to the running executable.
    static std::filesystem::path builtin_plugin_dir();

private:
    void add_plugin(const PluginInfo& info, const std::filesystem::path& origin, std::shared_ptr<const void> library);

    std::deque<StageDescriptor> stages_;  // a deque: adding never moves the stages already there
    std::map<std::string, const StageDescriptor*, std::less<>> by_name_;
    std::vector<std::filesystem::path> files_;  // libraries loaded, to load each only once
};

// Creates a stage object from its descriptor; the object keeps the stage's library loaded.
QFRAME_API std::shared_ptr<Stage> make_any_stage(const StageDescriptor& d, const Options& options);

// The same, as the interface of its kind, e.g. make_stage<Quantizer>(d, options).
template <class T>
std::shared_ptr<T> make_stage(const StageDescriptor& d, const Options& options) {
    if (d.kind != T::kind)
        throw Error(fmt::format("{} is a {}, not a {}", d.name, to_string(d.kind), to_string(T::kind)));
    return std::static_pointer_cast<T>(make_any_stage(d, options));
}

}  // namespace qframe
