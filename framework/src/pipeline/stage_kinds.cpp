#include "qframe/stage_kinds.hpp"

#include <array>

namespace qframe {
namespace {

// Both evaluator kinds share "evaluate:" and "eval.": a recipe does not care which one it names.
constexpr std::array kKinds{
    StageKindInfo{StageKind::Selector, "selector", "select.", nullptr, false, false},
    StageKindInfo{StageKind::Quantizer, "quantizer", "quant.", "quantize", false, false},
    StageKindInfo{StageKind::Analyzer, "analyzer", "analyze.", "analyze", false, false},
    StageKindInfo{StageKind::Evaluator, "evaluator", "eval.", "evaluate", false, true},
    StageKindInfo{StageKind::ModelEvaluator, "model evaluator", "eval.", "evaluate", true, false},
};

constexpr bool rows_in_enum_order() {
    for (size_t i = 0; i < kKinds.size(); ++i)
        if (static_cast<size_t>(kKinds[i].kind) != i) return false;
    return true;
}
static_assert(rows_in_enum_order(), "kind_info indexes kKinds by the enum value");

}  // namespace

std::span<const StageKindInfo> stage_kinds() { return kKinds; }

const StageKindInfo& kind_info(StageKind kind) { return kKinds.at(static_cast<size_t>(kind)); }

}  // namespace qframe
