// MXFP4 (ggml type 39, OCP Microscaling FP4): 32 values share an E8M0 scale byte (2^(e-127));
// each value is an E2M1 nibble (sign, 2 exponent bits, 1 mantissa bit: ±{0, 0.5, 1, 1.5, 2, 3,
// 4, 6}), value j in the low nibble of byte j and value j + 16 in its high nibble.
//
// ggml (ggml-org/llama.cpp, after c392e50) stores the E2M1 values doubled as int8
// (kvalues_mxfp4) and halves the scale instead: ggml_e8m0_to_fp32_half. Every product is exact
// in float, so this equals the spec's value; for e = 255, which the spec calls NaN, ggml (and so
// qframe) gives 2^127 × value. tests/codec/mxfp4_spec.py checks the test vectors against NumPy's
// reading of the spec.

#include <bit>
#include <cstdint>

#include "codec/block_io.hpp"
#include "codec/kernels.hpp"

namespace qframe::codec {
namespace {

constexpr int8_t kDoubledE2M1[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

// 2^(e - 128): the scale halved, as ggml_e8m0_to_fp32_half builds it (subnormal for e < 2).
inline float half_scale(uint8_t e) { return std::bit_cast<float>(e < 2 ? uint32_t(0x00200000) << e : uint32_t(e - 1) << 23); }

}  // namespace

void decode_mxfp4(const std::byte* src, float* dst, size_t n_blocks) {
    for (size_t i = 0; i < n_blocks; ++i) {
        const auto blk = load_block<BlockMXFP4>(src, i);
        const float d = half_scale(blk.e);
        float* y = dst + i * QK;
        for (int j = 0; j < QK / 2; ++j) {
            y[j] = float(kDoubledE2M1[blk.qs[j] & 0xf]) * d;
            y[j + QK / 2] = float(kDoubledE2M1[blk.qs[j] >> 4]) * d;
        }
    }
}

}  // namespace qframe::codec
