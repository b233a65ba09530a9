// Private to the codecs: blocks and their F16 fields in and out of byte streams, which may be
// unaligned (memcpy; the compiler turns it into plain loads and stores).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "codec/blocks.hpp"
#include "qframe/codec.hpp"

namespace qframe::codec {

inline float load_f16(const half& h) {
    uint16_t v;
    std::memcpy(&v, h, 2);
    return f16_to_f32(v);
}
inline void store_f16(half& h, float f) {
    const uint16_t v = f32_to_f16(f);
    std::memcpy(h, &v, 2);
}

// Copies block `i` out of a byte stream, or into one.
template <class Block>
inline Block load_block(const std::byte* src, size_t i) {
    Block b;
    std::memcpy(&b, src + i * sizeof(Block), sizeof(Block));
    return b;
}
template <class Block>
inline void store_block(std::byte* dst, size_t i, const Block& blk) {
    std::memcpy(dst + i * sizeof(Block), &blk, sizeof(Block));
}

}  // namespace qframe::codec
