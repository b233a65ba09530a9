// A plan as llama-quantize's tensor type file (current llama.cpp, tools/quantize): one
// `regex=type` word per line, the first matching pattern giving a tensor its type. Each line
// names one tensor exactly, so the file takes a plan back to a machine that only has llama.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "qframe/plan.hpp"

namespace qframe {
namespace {

// The only stage whose result is its type alone: the bytes ggml's quantizer writes for it.
constexpr std::string_view kTypeStage = "quant.gguf_type";

// The name as an ECMAScript pattern that matches it and nothing else (llama.cpp searches).
std::string exact_pattern(std::string_view name) {
    std::string out = "^";
    for (char c : name) {
        if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out + "$";
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

size_t n_dims(const TensorInfo& t) {  // ggml_n_dims: trailing 1s do not count
    size_t n = t.dims.size();
    while (n > 1 && t.dims[n - 1] == 1) --n;
    return n;
}

}  // namespace

std::string plan_tensor_types(const MixPlan& plan, const GgufFile& input) {
    for (const auto& stage : plan.study.baseline)
        if (stage.call.stage->kind == StageKind::Quantizer && stage.call.stage->name != kTypeStage)
            throw Error(fmt::format("the study's baseline stage {} is not a type conversion ({}): llama-quantize cannot apply it from a tensor type file",
                                    stage.label, kTypeStage));
    for (const auto& g : plan.groups)
        if (g.treatment && plan.study.treatments[*g.treatment].call.stage->name != kTypeStage)
            throw Error(fmt::format("group {} takes treatment '{}' ({}), which is not a type conversion ({}): llama-quantize cannot apply it from a "
                                    "tensor type file",
                                    g.group, plan.study.treatments[*g.treatment].name, plan.study.treatments[*g.treatment].call.stage->name,
                                    kTypeStage));
    if (plan.output_types.size() != input.tensors().size()) throw Error("the plan and the model have different tensors");
    std::string out;
    for (size_t i = 0; i < plan.output_types.size(); ++i) {
        const TensorInfo& t = input.tensors()[i];
        const auto& [name, type_id] = plan.output_types[i];
        if (name != t.name) throw Error(fmt::format("the plan's tensor {} is the model's {}", name, t.name));
        if (n_dims(t) < 2) {  // llama-quantize never changes these
            if (type_id != t.type_id) throw Error(fmt::format("the plan changes {}, which llama-quantize leaves as it is (one dimension)", name));
            continue;
        }
        const TypeInfo* type = find_type(type_id);
        if (!type) throw Error(fmt::format("{}: type id {} has no ggml name", name, type_id));
        out += fmt::format("{}={}\n", exact_pattern(name), lower(type->name));
    }
    return out;
}

}  // namespace qframe
