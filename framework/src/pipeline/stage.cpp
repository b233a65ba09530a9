#include "qframe/stage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "qframe/codec.hpp"
#include "qframe/error.hpp"

namespace qframe {

bool ModelInfo::has_tensor(std::string_view name) const {
    return std::find(tensor_names.begin(), tensor_names.end(), name) != tensor_names.end();
}

uint64_t TensorData::n_values() const {
    uint64_t n = 1;
    for (uint64_t d : dims) n *= d;  // the reader has checked this cannot overflow
    return n;
}

int tensor_layer(std::string_view name) {
    constexpr std::string_view prefix = "blk.";
    if (name.rfind(prefix, 0) != 0) return -1;
    int layer = -1;
    const char* begin = name.data() + prefix.size();
    const char* end = name.data() + name.size();
    auto [p, ec] = std::from_chars(begin, end, layer);
    if (ec != std::errc() || p == begin || p == end || *p != '.') return -1;
    return layer;
}

uint32_t block_count(const Metadata& model) {
    const Value* arch = model.find("general.architecture");
    if (!arch || arch->type() != ValueType::STRING)
        throw Error("the model's metadata has no string general.architecture, so its block count is unknown");
    const std::string key = arch->as_string() + ".block_count";
    const Value* count = model.find(key);
    if (!count) throw Error(fmt::format("the model's metadata has no {} (its number of layers)", key));
    uint64_t n = 0;
    try {
        n = count->as_u64();
    } catch (const Error& e) {
        throw Error(fmt::format("the model's {} is not a layer count: {}", key, e.what()));
    }
    if (n > std::numeric_limits<uint32_t>::max()) throw Error(fmt::format("the model's {} ({}) is not a layer count", key, n));
    return static_cast<uint32_t>(n);
}

bool TensorData::decodable() const { return type && can_decode(type->type); }

std::vector<float> TensorData::decode() const {
    if (!decodable()) throw Error(fmt::format("tensor '{}' has type {}, which qframe cannot decode", name, type_name()));
    std::vector<float> values(n_values());
    qframe::decode(type->type, bytes, values);
    return values;
}

}  // namespace qframe
