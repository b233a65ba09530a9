#include "pipeline/selection.hpp"

#include <fmt/format.h>

#include "qframe/catalog.hpp"
#include "qframe/error.hpp"

namespace qframe {

Selection::Selection(const std::vector<StageCall>& calls) : calls_(&calls) {
    for (const auto& call : calls) {
        try {
            selectors_.push_back(make_stage<Selector>(*call.stage, call.options));
        } catch (const std::exception& e) {
            throw Error(fmt::format("{}: {}: {}", call.where, call.stage->name, e.what()));
        }
    }
}

bool Selection::accepts(const TensorData& tensor, const Metadata& model) const {
    for (size_t k = 0; k < selectors_.size(); ++k) {
        try {
            if (!selectors_[k]->selects(tensor, model)) return false;
        } catch (const std::exception& e) {
            const StageCall& call = (*calls_)[k];
            throw Error(fmt::format("selector {} ({}) failed on tensor '{}': {}", call.stage->name, call.where, tensor.name, e.what()));
        }
    }
    return true;
}

}  // namespace qframe
