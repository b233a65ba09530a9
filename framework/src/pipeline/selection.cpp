#include "pipeline/selection.hpp"

#include <fmt/format.h>

#include "qframe/catalog.hpp"
#include "qframe/error.hpp"

namespace qframe {

Selection::Selection(const std::vector<StageCall>& calls) : calls_(&calls) {
    for (const auto& call : calls) selectors_.push_back(make_call_as<Selector>(call));
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
