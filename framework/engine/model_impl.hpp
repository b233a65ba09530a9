// Private to the engine: what a loaded Model holds.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "arch.hpp"
#include "qframe/engine/model.hpp"
#include "qframe/gguf.hpp"
#include "qframe/types.hpp"

namespace qframe::engine {

// A [cols × rows] weight matrix (ggml order: each row holds `cols` encoded values) used in
// place: the file's mapping or a WeightSource's bytes.
struct Matrix {
    std::string name;
    TensorType type = TensorType::F32;
    size_t cols = 0, rows = 0;
    size_t row_bytes = 0;
    const std::byte* data = nullptr;
    // The height of the product ggml makes with these rows: the whole tensor's, for a fused
    // matrix's part too; 0 for an expert's slice, which ggml_mul_mat_id multiplies with vec_dot
    // only. It decides where F32/F16 products take tinyBLAS's order (numerics: ggml).
    size_t ggml_rows = 0;

    // Decodes rows [r0, r0 + n) to F32 into `out`, row stride `ld` >= cols; the floats of each
    // row between cols and ld are set to zero.
    void decode_rows(size_t r0, size_t n, float* out, size_t ld) const;
    // Rows [r0, r0 + n) as a matrix of their own (a fused matrix's parts), in place.
    Matrix row_range(size_t r0, size_t n) const;
    // Expert e's [cols × rows] slice of a [cols × rows × n_expert] tensor, in place.
    Matrix expert(size_t e) const { return row_range(e * rows, rows); }
    // The rows themselves when they are F32 already, suitably aligned, and their stride is a
    // multiple of kernels::kPad (no decoding needed); nullptr otherwise.
    const float* direct() const;
};

struct Layer {
    std::vector<float> attn_norm, ffn_norm;
    std::vector<float> attn_post_norm, ffn_post_norm;  // empty unless the architecture has them
    uint32_t window = 0;  // attends to the last `window` positions only; 0: to all
    std::vector<float> bq, bk, bv;  // empty unless the architecture has them
    std::vector<float> q_norm, k_norm;  // per-head query and key norms (head_dim values); empty unless the architecture has them
    Matrix wq, wk, wv, wo, gate, up, down;
    // Mixture of experts (n_expert > 0): the router and every expert's gate, up and down
    // matrices, each [cols × rows] per expert (`rows` of one expert), instead of gate/up/down.
    Matrix router, gate_exps, up_exps, down_exps;
    // The shared expert (qwen2moe): its gate's one row, and its SwiGLU.
    Matrix shexp_gate, gate_shexp, up_shexp, down_shexp;
    bool has_experts() const { return router.data != nullptr; }
};

struct Model::Impl {
    const ArchSpec* arch = nullptr;
    HParams config;
    std::string name;
    std::shared_ptr<const MappedFile> mapping;          // keeps file-backed weights alive
    std::vector<std::shared_ptr<const void>> owners;    // keeps source-provided weights alive
    Matrix token_embd, output;
    std::vector<float> output_norm;
    // What divides each rotary pair's frequency (empty: nothing): rope_freqs.weight, or phi3's
    // rope_factors_short.weight; rope_factors_long for contexts longer than n_ctx_orig.
    std::vector<float> rope_factors, rope_factors_long;
    std::vector<Layer> layers;
    uint64_t weight_bytes = 0;
};

}  // namespace qframe::engine
