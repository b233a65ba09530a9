// Stages that misbehave at run time: one throws, one returns too few bytes.
#include <stdexcept>

#include "qframe/plugin.hpp"

namespace {
class Throws : public qframe::Quantizer {
public:
    qframe::QuantizedTensor quantize(const qframe::TensorData&) const override { throw std::runtime_error("deliberate failure"); }
};
class WrongSize : public qframe::Quantizer {
public:
    qframe::QuantizedTensor quantize(const qframe::TensorData& t) const override {
        return {qframe::TensorType::F32, std::vector<std::byte>(t.bytes.size() / 2), {}};
    }
};
void register_stages(qframe::Registry& r) {
    r.add("quant.test_throws", "always throws", {}, [](const qframe::Options&) { return std::make_unique<Throws>(); });
    r.add("quant.test_wrong_size", "returns half the bytes", {},
          [](const qframe::Options&) { return std::make_unique<WrongSize>(); });
}
}  // namespace

QFRAME_PLUGIN("misbehaving", "0.1", register_stages)
