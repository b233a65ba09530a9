// Private to the engine: the vectorised inner loops, compiled once per instruction set
// (kernels_avx512.cpp, kernels_avx2.cpp, kernels_generic.cpp from kernels_impl.hpp) and chosen
// at run time for the CPU at hand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qframe/types.hpp"

namespace qframe::engine::kernels {

// Rows of decoded weights and token vectors are padded with zeros to a multiple of kPad
// floats, so that the products below need no tail handling.
inline constexpr size_t kPad = 16;
inline constexpr size_t padded(size_t n) { return (n + kPad - 1) / kPad * kPad; }

struct Ops {
    std::string_view name;
    // y[t * ldy + r] = Σ_k w[r * ldw + k] · x[t * ldx + k]  for r < nr, t < nt, k < n;
    // n is a multiple of kPad.
    void (*dot_block)(const float* w, size_t ldw, size_t nr, const float* x, size_t ldx, size_t nt,
                      size_t n, float* y, size_t ldy);
    // dot_block for F16 weights (their bits) read in place; null where the set cannot widen F16.
    void (*dot_block_f16)(const uint16_t* w, size_t ldw, size_t nr, const float* x, size_t ldx, size_t nt, size_t n, float* y,
                          size_t ldy);
    // y[t * ldy + r] = Σ_k wt[k * ldw + r] · x[t * ldx + k] for r < nr, t < nt, k < n: the
    // weights stored transposed (one row per k), each output one chain of multiply-adds in k
    // order, no sums across lanes (short k: attention's K · q). Writes padded(nr) outputs per
    // token, reading padded(nr) columns of wt: the caller has room for them.
    void (*dot_block_t)(const float* wt, size_t ldw, size_t nr, const float* x, size_t ldx, size_t nt, size_t n, float* y,
                        size_t ldy);
    // dot_block_t for F16 weights (their bits); null where dot_block_f16 is.
    void (*dot_block_t_f16)(const uint16_t* wt, size_t ldw, size_t nr, const float* x, size_t ldx, size_t nt, size_t n, float* y,
                            size_t ldy);
    // Decodes n_blocks blocks of `type` like qframe::decode (same values, bit for bit) when this
    // set has a fast decoder for the type; false (nothing written) otherwise.
    bool (*decode)(TensorType type, const std::byte* src, float* dst, size_t n_blocks);
};

extern const Ops ops_generic;
#if defined(__x86_64__)
extern const Ops ops_avx2;
extern const Ops ops_avx512;
#endif

// The best set this CPU runs; QFRAME_ENGINE_ISA=generic|avx2|avx512 forces one (tests).
const Ops& ops();
// Every set this CPU can run (for tests comparing them).
const Ops* ops_by_name(std::string_view name);

}  // namespace qframe::engine::kernels
