// Claims a stage name a built-in plugin already has.
#include "qframe/plugin.hpp"

namespace {
class Nothing : public qframe::Quantizer {
public:
    qframe::QuantizedTensor quantize(const qframe::TensorData&) const override { return {}; }
};
void register_stages(qframe::Registry& r) {
    r.add("quant.bf16_truncate", "an impostor", {}, [](const qframe::Options&) { return std::make_unique<Nothing>(); });
}
}  // namespace

QFRAME_PLUGIN("duplicate", "0.1", register_stages)
