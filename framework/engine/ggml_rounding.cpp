// ggml's activation quantizers (ggml-cpu-quants.c, x86 paths of llama.cpp c392e50), each
// followed by the decoding the product's arithmetic amounts to.
#include "ggml_rounding.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace qframe::engine {

ActivationType activation_type(TensorType weight) {
    switch (weight) {
        case TensorType::F32: return ActivationType::F32;
        case TensorType::F16: return ActivationType::F16;
        case TensorType::BF16: return ActivationType::BF16;
        case TensorType::Q4_0:
        case TensorType::Q5_0:
        case TensorType::Q8_0:
        case TensorType::IQ4_NL:
        case TensorType::MXFP4: return ActivationType::Q8_0;
        case TensorType::Q4_1:
        case TensorType::Q5_1:
        case TensorType::Q8_1: return ActivationType::Q8_1;
        default: return ActivationType::Q8_K;  // the K-quants, the IQ and TQ types
    }
}

size_t activation_block(ActivationType type) {
    switch (type) {
        case ActivationType::Q8_0:
        case ActivationType::Q8_1: return 32;
        case ActivationType::Q8_K: return 256;
        default: return 1;
    }
}

namespace {

// Round to nearest even for |v| < 2²² (ggml's nearest_int trick; it vectorises where
// std::nearbyint is a library call). This file is compiled with -ffp-contract=off, so that
// v · s + magic is not fused into one rounding.
inline float round_even(float v) {
    constexpr float magic = 12582912.f;  // 1.5 · 2²³
    return (v + magic) - magic;
}

// ggml_compute_fp32_to_bf16: round to nearest even, NaNs made quiet.
float round_to_bf16(float x) {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    if ((u & 0x7fffffff) > 0x7f800000) u |= 0x400000;
    else u += 0x7fff + ((u >> 16) & 1);
    u &= 0xffff0000u;
    std::memcpy(&x, &u, 4);
    return x;
}

// quantize_row_q8_0 / q8_1 (AVX2): d = amax/127 stored as F16, q = round-to-even(x · 127/amax).
// The product multiplies q by the F16 scale. (For Q8_1 the product's offset term uses an F16
// copy of d·Σq, which this emulation does not round: a difference of at most 2⁻¹¹ of that term.)
void round_q8_0(float* x, size_t n) {
    int8_t q[32];
    for (size_t b = 0; b < n; b += 32) {
        const float d = quantize_q8_0_block(x + b, q);
        for (int i = 0; i < 32; ++i) x[b + i] = d * float(q[i]);
    }
}

// quantize_row_q8_K (quantize_row_q8_K_ref on x86): the signed value of largest magnitude (the
// first one) maps to -127; q = min(127, round-to-even(x · iscale)), d = 1 / iscale.
void round_q8_K(float* x, size_t n) {
    int8_t q[256];
    for (size_t b = 0; b < n; b += 256) {
        const float d = quantize_q8_K_block(x + b, q);
        for (int i = 0; i < 256; ++i) x[b + i] = d * float(q[i]);
    }
}

// One copy of a row loop per instruction set, chosen when the library loads: both roundings
// are branch-free enough for GCC to vectorise, and they run on every activation of the model.
QF_ROW_CLONES void round_row_to_bf16(float* x, size_t n) {
    for (size_t i = 0; i < n; ++i) x[i] = round_to_bf16(x[i]);
}

}  // namespace

QF_ROW_CLONES void round_row_to_f16(float* x, size_t n) {
    for (size_t i = 0; i < n; ++i) x[i] = round_to_f16(x[i]);
}

float quantize_q8_0_block(const float* x, int8_t* q) {
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float id = amax != 0 ? 127.f / amax : 0.0f;
    // The clamp keeps what is not a finite quant (NaN or infinite activations, an infinite id
    // from a subnormal amax) out of the int8 conversion, where it would be undefined; every
    // other value is within ±127 already.
    for (int i = 0; i < 32; ++i) q[i] = static_cast<int8_t>(std::max(-127.0f, std::min(127.0f, round_even(x[i] * id))));
    return round_to_f16(amax / 127.f);
}

float q8_1_block_sum(const float* x, const int8_t* q) {
    float amax = 0;
    int sum = 0;
    for (int i = 0; i < 32; ++i) {
        amax = std::max(amax, std::fabs(x[i]));
        sum += q[i];
    }
    return round_to_f16(amax / 127.f * float(sum));
}

float quantize_q8_K_block(const float* x, int8_t* q) {
    float max = 0, amax = 0;
    for (int i = 0; i < 256; ++i)
        if (std::fabs(x[i]) > amax) {
            amax = std::fabs(x[i]);
            max = x[i];
        }
    if (amax == 0) {
        std::fill(q, q + 256, int8_t{0});
        return 0;
    }
    const float iscale = -127.f / max;
    // ggml caps at 127; the floor only keeps an infinite product (a subnormal max) defined.
    for (int i = 0; i < 256; ++i) q[i] = static_cast<int8_t>(std::max(-128.0f, std::min(127.0f, round_even(iscale * x[i]))));
    return 1 / iscale;
}

void round_activations(ActivationType type, float* x, size_t n) {
    switch (type) {
        case ActivationType::F32: return;
        case ActivationType::F16: return round_row_to_f16(x, n);
        case ActivationType::BF16: return round_row_to_bf16(x, n);
        case ActivationType::Q8_0:
        case ActivationType::Q8_1: return round_q8_0(x, n);
        case ActivationType::Q8_K: return round_q8_K(x, n);
    }
}

}  // namespace qframe::engine
