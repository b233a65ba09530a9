// Turns a pipeline ModelView (the input, or the pipeline's current state) into an engine model
// and the tokenizer of its vocabulary. Weights are used where they lie: the input's mapping, or
// the bytes an earlier stage produced — nothing is copied.
#pragma once

#include "qframe/engine/model.hpp"
#include "qframe/gguf.hpp"
#include "qframe/stage.hpp"
#include "qframe/tokenizer.hpp"

namespace qframe::model_eval {

struct LoadedModel {
    GgufFile file;
    engine::Model model;
    Tokenizer tokenizer;
};

LoadedModel load(const ModelView& view);

}  // namespace qframe::model_eval
