#include "qframe/engine/type_timing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>

#include "qframe/codec.hpp"
#include "qframe/engine/pass_timing.hpp"
#include "qframe/error.hpp"
#include "qframe/stage.hpp"

namespace qframe::engine {
namespace {

// Rows of `type` from normal values of a trained matrix's scale (the IQ types ggml encodes only
// with an importance matrix get a uniform one). At most 64 distinct rows, repeated: the product
// reads every byte all the same, and the IQ encoders are slow.
std::vector<std::byte> random_weights(TensorType type, size_t cols, size_t rows) {
    const size_t distinct = std::min<size_t>(rows, 64);
    std::mt19937 rng(20261207);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> values(cols * distinct);
    for (float& v : values) v = normal(rng);
    const size_t row_bytes = *byte_size(type_info(type), cols);
    std::vector<std::byte> bytes(row_bytes * rows);
    const std::span<std::byte> head(bytes.data(), row_bytes * distinct);
    if (requires_importance(type)) {
        const std::vector<float> uniform(cols, 1.0f);
        encode_weighted(type, values, head, cols, uniform);
    } else {
        encode(type, values, head);
    }
    for (size_t r = distinct; r < rows; ++r) std::copy_n(bytes.data() + (r % distinct) * row_bytes, row_bytes, bytes.data() + r * row_bytes);
    return bytes;
}

}  // namespace

bool can_time(TensorType type, size_t cols) {
    const TypeInfo& info = type_info(type);
    return cols > 0 && can_encode(type) && can_decode(type) && cols % info.block_size == 0;
}

std::vector<std::string> timing_sample(const GgufFile& file, std::span<const std::string> matrices) {
    int n_layer = 0;
    for (const auto& name : matrices) n_layer = std::max(n_layer, tensor_layer(name) + 1);
    const std::set<int> layers{0, n_layer / 2, std::max(0, n_layer - 1)};
    std::vector<std::string> out;
    std::set<std::pair<uint64_t, uint64_t>> covered;
    const auto shape = [&](const std::string& name) {
        const TensorInfo& t = *file.find_tensor(name);
        return std::make_pair(t.dims[0], t.dims[1]);
    };
    for (const auto& name : matrices) {
        const int layer = tensor_layer(name);
        if (layer >= 0 && !layers.count(layer)) continue;
        out.push_back(name);
        covered.insert(shape(name));
    }
    for (const auto& name : matrices)
        if (covered.insert(shape(name)).second) out.push_back(name);
    return out;
}

PassSeconds rest_of(const PassProfile& profile) {
    PassSeconds rest = profile.median;
    for (const auto& [_, seconds] : profile.prompt_products) rest.prompt -= seconds;
    for (const auto& [_, seconds] : profile.generation_products) rest.generation -= seconds;
    return rest;
}

TypePassTiming time_in_pass(const GgufFile& file, TensorType type, std::span<const std::string> weights, const TimingOptions& options) {
    auto bytes = std::make_shared<std::map<std::string, std::vector<std::byte>, std::less<>>>();
    for (const auto& name : weights) {
        const TensorInfo* t = file.find_tensor(name);
        if (!t || t->dims.size() < 2) throw Error(fmt::format("{}: no matrix {} to time", file.display_name(), name));
        if (!can_time(type, t->dims[0]))
            throw Error(fmt::format("{} [{}] cannot be timed as {}: {}", name, t->shape(), type_name(type),
                                    can_encode(type) && can_decode(type) ? fmt::format("rows of {} values are not whole blocks of {}", t->dims[0], type_info(type).block_size)
                                                                         : "qframe does not encode and decode the type"));
        (*bytes)[name] = random_weights(type, t->dims[0], t->n_values / t->dims[0]);
    }
    const WeightSource source = [&file, bytes, type](std::string_view name) -> std::optional<TensorData> {
        const auto it = bytes->find(name);
        if (it == bytes->end()) return std::nullopt;
        return TensorData{type, file.find_tensor(name)->dims, it->second, bytes};
    };
    const PassProfile profile = median_pass(Model::load(file, source), options.prompt_tokens, options.gen_tokens, options.threads,
                                            options.numerics, options.repetitions, 1, options.min_seconds);
    TypePassTiming out{{}, rest_of(profile)};
    for (const auto& name : weights) {
        const auto prompt = profile.prompt_products.find(name), gen = profile.generation_products.find(name);
        out.weights[name] = {prompt == profile.prompt_products.end() ? 0 : prompt->second / options.prompt_tokens,
                     gen == profile.generation_products.end() ? 0 : gen->second};
    }
    return out;
}

}  // namespace qframe::engine
