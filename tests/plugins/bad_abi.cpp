// A plugin built against a future SDK: the loader must refuse it before calling into it.
#include <cstdlib>

#include "qframe/plugin.hpp"

namespace {
void must_not_be_called(qframe::Registry&) { std::abort(); }
}  // namespace

extern "C" __attribute__((visibility("default"))) const qframe::PluginInfo* qframe_plugin_entry() {
    static const qframe::PluginInfo info{QFRAME_PLUGIN_ABI_VERSION + 1, "from_the_future", "9.9", must_not_be_called};
    return &info;
}
