// A tensor of a GGUF file as a stage sees it (the file's bytes, untouched): what the runner, a
// study's groups and the sweep's treatments hand to selectors and quantizers.
#pragma once

#include "qframe/gguf.hpp"
#include "qframe/stage.hpp"

namespace qframe {

inline TensorData tensor_view(const TensorInfo& t) { return {t.name, t.type_id, t.type, t.dims, t.data}; }

}  // namespace qframe
