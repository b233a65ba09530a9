// A stage's `select:` as objects: every selector made up front (a bad option fails with its
// recipe location) and applied together, all of them having to accept a tensor. The runner and
// a study's groups select the same way.
#pragma once

#include <memory>
#include <vector>

#include "qframe/recipe.hpp"

namespace qframe {

class Selection {
public:
    // Throws qframe::Error "<where>: <selector>: <problem>" for a selector that cannot be made.
    explicit Selection(const std::vector<StageCall>& calls);
    // True when every selector accepts the tensor (no selectors: every tensor). A selector that
    // throws is reported with its name, its location and the tensor.
    bool accepts(const TensorData& tensor, const Metadata& model) const;

private:
    const std::vector<StageCall>* calls_;
    std::vector<std::shared_ptr<Selector>> selectors_;
};

}  // namespace qframe
