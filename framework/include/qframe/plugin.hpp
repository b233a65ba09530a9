// The plugin contract. A plugin is a shared library exporting one C function,
// `qframe_plugin_entry`, that returns a PluginInfo: the SDK ABI version it was built against,
// its name and version, and a callback that registers its stages. The loader checks the ABI
// version before it calls anything else, so a stale plugin is refused with a clear message.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>

#include "qframe/options.hpp"
#include "qframe/stage.hpp"

// Bump on any change to the SDK headers that breaks plugins built against an older one.
#define QFRAME_PLUGIN_ABI_VERSION 9u

namespace qframe {

// Makes a stage object from validated options; the object implements the interface of its kind.
using StageFactory = std::function<std::unique_ptr<Stage>(const Options&)>;

// One stage as a plugin declares it. The name carries its kind's prefix: "select.", "quant.",
// "analyze.", "eval." (both evaluator kinds).
struct StageInfo {
    std::string name;
    StageKind kind;
    std::string description;
    OptionSchema schema;
    StageFactory make;
};

// Handed to a plugin's register callback: the one path by which stages of every kind join.
class Registry {
public:
    virtual ~Registry() = default;
    virtual void add(StageInfo stage) = 0;

    // The usual form: the kind follows from the interface the factory's objects implement.
    //   r.add("quant.x", "what it does", {options…}, [](const Options& o) { return std::make_unique<X>(o); });
    template <class Make>
        requires std::invocable<Make&, const Options&>
    void add(std::string name, std::string description, OptionSchema schema, Make make) {
        using Made = typename std::invoke_result_t<Make&, const Options&>::element_type;
        static_assert(std::is_base_of_v<Stage, Made>, "a stage factory must return std::unique_ptr to a stage interface");
        add(StageInfo{std::move(name), Made::kind, std::move(description), std::move(schema),
                      [make = std::move(make)](const Options& o) -> std::unique_ptr<Stage> { return make(o); }});
    }
};

struct PluginInfo {
    uint32_t abi_version;
    const char* name;
    const char* version;
    void (*register_stages)(Registry& registry);
};

}  // namespace qframe

#define QFRAME_PLUGIN_ENTRY_SYMBOL "qframe_plugin_entry"

// Declares the plugin; use once per plugin library:
//   QFRAME_PLUGIN("my_plugin", "1.0", [](qframe::Registry& r) { r.add(...); })
// (REGISTER is variadic so that commas inside a lambda body need no extra parentheses.)
// Compiled with -DQFRAME_STATIC_PLUGIN=<identifier>, the same source becomes a plugin built into
// the program (as GStreamer's static plugins): no C entry point, but a function
// `qframe_static_plugin_<identifier>()` to hand to StageCatalog::add_static_plugin.
#define QFRAME_DETAIL_CONCAT2(A, B) A##B
#define QFRAME_DETAIL_CONCAT(A, B) QFRAME_DETAIL_CONCAT2(A, B)
#define QFRAME_STATIC_PLUGIN_FUNCTION(ID) QFRAME_DETAIL_CONCAT(qframe_static_plugin_, ID)
#define QFRAME_DECLARE_STATIC_PLUGIN(ID) const qframe::PluginInfo* QFRAME_STATIC_PLUGIN_FUNCTION(ID)()

#define QFRAME_DETAIL_PLUGIN_INFO(NAME, VERSION, ...)                                             \
    {                                                                                             \
        static const qframe::PluginInfo info{QFRAME_PLUGIN_ABI_VERSION, NAME, VERSION, __VA_ARGS__}; \
        return &info;                                                                             \
    }
#ifdef QFRAME_STATIC_PLUGIN
#define QFRAME_PLUGIN(NAME, VERSION, ...) \
    QFRAME_DECLARE_STATIC_PLUGIN(QFRAME_STATIC_PLUGIN) QFRAME_DETAIL_PLUGIN_INFO(NAME, VERSION, __VA_ARGS__)
#else
#define QFRAME_PLUGIN(NAME, VERSION, ...)                                                              \
    extern "C" __attribute__((visibility("default"))) const qframe::PluginInfo* qframe_plugin_entry() \
        QFRAME_DETAIL_PLUGIN_INFO(NAME, VERSION, __VA_ARGS__)
#endif
