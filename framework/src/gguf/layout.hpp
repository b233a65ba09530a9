// Layout rules the GGUF reader and writer share.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>

#include "qframe/gguf.hpp"

namespace qframe::gguf {

inline uint64_t align_up(uint64_t x, uint64_t alignment) { return (x + alignment - 1) / alignment * alignment; }

// Why a general.alignment value is unusable (it must be a u32 power of two), or nullopt.
inline std::optional<std::string> alignment_problem(const Value& value) {
    if (value.type() != ValueType::UINT32)
        return fmt::format("{} must be a u32, found {}", kAlignmentKey, value_type_name(value.type()));
    const uint64_t alignment = value.as_u64();
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) return fmt::format("{} is {}, not a power of two", kAlignmentKey, alignment);
    return std::nullopt;
}

}  // namespace qframe::gguf
