#include "qframe/stage.hpp"

#include <fmt/format.h>

#include <charconv>

#include "qframe/codec.hpp"
#include "qframe/error.hpp"

namespace qframe {

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

bool TensorData::decodable() const { return type && can_decode(type->type); }

std::vector<float> TensorData::decode() const {
    if (!decodable()) throw Error(fmt::format("tensor '{}' has type {}, which qframe cannot decode", name, type_name()));
    std::vector<float> values(n_values());
    qframe::decode(type->type, bytes, values);
    return values;
}

}  // namespace qframe
