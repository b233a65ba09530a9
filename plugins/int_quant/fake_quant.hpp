// Fake quantization kernels: values are quantized and immediately dequantized, so a tensor keeps
// its F32 type while carrying the error of a lower precision. Each works on one group of values
// in place and returns that group's scale (the step between neighbouring codes).
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace qframe::fake {

// How a group's scale is stored: exactly, rounded to F16 (as ggml's blocks do), or rounded up
// to a power of two (shift-only dequantization).
enum class ScaleFormat { F32, F16, Pow2 };
ScaleFormat parse_scale_format(const std::string& name);
float store_scale(float scale, ScaleFormat format);

// Integer codes with round-to-nearest-even.
// symmetric: q in [-(2^(b-1)-1), 2^(b-1)-1], x ≈ q·scale, scale = absmax / qmax.
// asymmetric: q in [0, 2^b-1], x ≈ min + q·scale, scale = (max-min) / (2^b-1).
float quantize_int(std::span<float> group, int bits, bool symmetric, ScaleFormat format);

// NF4: the 16-value normal-float code book of QLoRA, scaled by the group's absmax.
float quantize_nf4(std::span<float> group, ScaleFormat format);

// FP4 (E2M1: ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}) with a shared power-of-two scale, MXFP4 style: the
// scale is 2^(floor(log2(absmax)) - 2), so the largest magnitude lands in [4, 8) and is
// clamped to 6. Returns the shared scale.
float quantize_fp4(std::span<float> group);

}  // namespace qframe::fake
