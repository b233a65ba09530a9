// Loads the stages a command needs: built-in plugins, $QFRAME_PLUGIN_PATH, and extra paths.
#pragma once

#include <filesystem>
#include <vector>

#include "qframe/catalog.hpp"

namespace qframe::cli {

inline void load_catalog(StageCatalog& catalog, const std::vector<std::filesystem::path>& extra) {
    catalog.load_default_paths();
    for (const auto& p : extra) catalog.load_path(p);
}

}  // namespace qframe::cli
