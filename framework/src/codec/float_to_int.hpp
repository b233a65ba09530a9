// Private to the codecs: C's float -> integer conversions as ggml's x86-64 build performs them.
#pragma once

#include <bit>
#include <cstdint>

namespace qframe::codec {

// Truncate toward zero through a 32-bit integer (cvttss2si / cvttps2dq); NaN and out-of-range
// values give INT32_MIN. ggml then keeps the low byte (an int8_t / uint8_t cast), and so do the
// callers. Only non-finite or absurdly scaled input ever gets near the edges.
inline int32_t trunc_i32_like_x86(float r) {
    return (r >= -2147483648.0f && r < 2147483648.0f) ? int32_t(r) : INT32_MIN;
}

// ggml's `(int8_t)(v)` and `(uint8_t)(v)`: truncate through int32, keep the low byte.
inline int8_t low_byte_i8(float v) { return int8_t(uint8_t(uint32_t(trunc_i32_like_x86(v)))); }
inline uint8_t low_byte_u8(float v) { return uint8_t(uint32_t(trunc_i32_like_x86(v))); }

// ggml's nearest_int: adding 1.5 * 2^23 leaves round-half-even(f) in the low mantissa bits.
// Exact for |f| < 2^22; beyond that ggml (asserts compiled out) returns these same bits.
inline int nearest_int(float f) {
    const float v = f + 12582912.0f;
    return int(std::bit_cast<uint32_t>(v) & 0x007fffff) - 0x00400000;
}

inline constexpr float kGroupMaxEps = 1e-15f;  // ggml's GROUP_MAX_EPS: below this a group is "all zero"

}  // namespace qframe::codec
