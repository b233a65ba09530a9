#include "qframe/types.hpp"

#include <algorithm>
#include <cctype>

namespace qframe {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) ==
                      std::toupper(static_cast<unsigned char>(y));
           });
}

}  // namespace

const TypeInfo* find_type(uint32_t id) {
    for (const auto& t : kTypeTable)
        if (static_cast<uint32_t>(t.type) == id) return &t;
    return nullptr;
}

const TypeInfo* find_type(std::string_view name) {
    for (const auto& t : kTypeTable)
        if (iequals(t.name, name)) return &t;
    return nullptr;
}

const TypeInfo& type_info(TensorType type) { return type_traits(type); }

std::string_view type_name(TensorType type) { return type_info(type).name; }

std::span<const TypeInfo> all_types() { return kTypeTable; }

std::optional<uint64_t> byte_size(const TypeInfo& type, uint64_t n_values) {
    if (n_values % type.block_size != 0) return std::nullopt;
    const uint64_t blocks = n_values / type.block_size;
    if (blocks > UINT64_MAX / type.block_bytes) return std::nullopt;
    return blocks * type.block_bytes;
}

std::string type_name_or_id(const TypeInfo* type, uint32_t id) {
    return type ? std::string(type->name) : "type " + std::to_string(id);
}

}  // namespace qframe
