// The plugin contract. A plugin is a shared library exporting one C function,
// `qframe_plugin_entry`, that returns a PluginInfo: the SDK ABI version it was built against,
// its name and version, and a callback that registers its stages. The loader checks the ABI
// version before it calls anything else, so a stale plugin is refused with a clear message.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "qframe/options.hpp"
#include "qframe/stage.hpp"

// Bump on any change to the SDK headers that breaks plugins built against an older one.
#define QFRAME_PLUGIN_ABI_VERSION 2u

namespace qframe {

enum class StageKind { Selector, Quantizer, Analyzer, Evaluator, ModelEvaluator };
const char* to_string(StageKind kind);
// The name prefix a stage of each kind carries: "select.", "quant.", "analyze.", "eval." (both evaluator kinds).
const char* name_prefix(StageKind kind);

template <class T>
using StageFactory = std::function<std::unique_ptr<T>(const Options&)>;

// Handed to a plugin's register callback; stage names must carry their kind's prefix.
class Registry {
public:
    virtual ~Registry() = default;
    virtual void add_selector(std::string name, std::string description, OptionSchema schema, StageFactory<Selector> make) = 0;
    virtual void add_quantizer(std::string name, std::string description, OptionSchema schema, StageFactory<Quantizer> make) = 0;
    virtual void add_analyzer(std::string name, std::string description, OptionSchema schema, StageFactory<Analyzer> make) = 0;
    virtual void add_evaluator(std::string name, std::string description, OptionSchema schema, StageFactory<Evaluator> make) = 0;
    virtual void add_model_evaluator(std::string name, std::string description, OptionSchema schema,
                                     StageFactory<ModelEvaluator> make) = 0;
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
//   QFRAME_PLUGIN("my_plugin", "1.0", [](qframe::Registry& r) { r.add_quantizer(...); })
// (REGISTER is variadic so that commas inside a lambda body need no extra parentheses.)
#define QFRAME_PLUGIN(NAME, VERSION, ...)                                                              \
    extern "C" __attribute__((visibility("default"))) const qframe::PluginInfo* qframe_plugin_entry() { \
        static const qframe::PluginInfo info{QFRAME_PLUGIN_ABI_VERSION, NAME, VERSION, __VA_ARGS__};   \
        return &info;                                                                                 \
    }
