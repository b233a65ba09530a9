// Q8_0: 32 int8 quants and one F16 scale per block (ggml's block_q8_0).

#include <cmath>

#include "codec/block_io.hpp"
#include "codec/float_to_int.hpp"
#include "codec/kernels.hpp"

namespace qframe::codec {

void decode_q8_0(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, dst += QK) {
        const auto blk = load_block<BlockQ8_0>(src, b);
        const float d = load_f16(blk.d);
        for (int j = 0; j < QK; ++j) dst[j] = float(blk.qs[j]) * d;
    }
}

// quantize_row_q8_0_ref: scale so that the largest magnitude maps to ±127, round half away
// from zero. The scale is rounded to F16 for storage but the unrounded one is used to
// quantize, exactly like ggml.
void encode_q8_0(const float* src, std::byte* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, src += QK) {
        float amax = 0.0f;
        // Written like ggml's MAX(a, b) macro, including what a NaN does to it.
        for (int j = 0; j < QK; ++j) {
            const float v = std::fabs(src[j]);
            amax = amax > v ? amax : v;
        }
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;

        BlockQ8_0 blk;
        store_f16(blk.d, d);
        // Only non-finite inputs, or a NaN that resets the running maximum, give a quant
        // outside [-127, 127] (low_byte_i8 then keeps ggml's x86-64 wraparound).
        for (int j = 0; j < QK; ++j) blk.qs[j] = low_byte_i8(std::round(src[j] * id));
        store_block(dst, b, blk);
    }
}

}  // namespace qframe::codec
