// What the host knows about each stage kind, in one table: its name, its stages' name prefix, its
// key in a recipe and how the runner applies it. Adding a kind: its interface in stage.hpp, its
// row in stage_kinds.cpp, and what the runner does with it (runner.cpp, run_stage).
#pragma once

#include "qframe/export.hpp"

#include <span>

#include "qframe/stage.hpp"

namespace qframe {

struct StageKindInfo {
    StageKind kind;
    const char* name;           // "quantizer"
    const char* name_prefix;    // "quant."; stage names are the prefix and a short name
    const char* recipe_key;     // a recipe stage's key ("quantize: int8"); nullptr: used under select:
    bool whole_model;           // runs once on the whole model and takes no select:
    bool changed_by_default;    // without select:, works on the tensors earlier stages rewrote
};

QFRAME_API std::span<const StageKindInfo> stage_kinds();
QFRAME_API const StageKindInfo& kind_info(StageKind kind);
inline const char* to_string(StageKind kind) { return kind_info(kind).name; }
inline const char* name_prefix(StageKind kind) { return kind_info(kind).name_prefix; }

}  // namespace qframe
