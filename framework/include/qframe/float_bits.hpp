// Bit-level facts about F32 values that precision studies ask about.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace qframe {

inline uint32_t bits_of(float v) { return std::bit_cast<uint32_t>(v); }

// True when the low 16 bits are zero: the value survives BF16 truncation unchanged.
inline bool is_bf16_exact(float v) { return (bits_of(v) & 0xffffu) == 0; }

inline bool is_subnormal(float v) { return std::fpclassify(v) == FP_SUBNORMAL; }

}  // namespace qframe
