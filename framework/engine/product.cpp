#include "product.hpp"

#include <algorithm>
#include <vector>

#include "ggml_dot.hpp"
#include "kernels.hpp"
#include "qframe/parallel.hpp"

namespace qframe::engine {
namespace {

using kernels::padded;

// With ggml numerics and a weight type the quantized-domain kernels handle: X quantized once,
// then panels of 16 rows, each unpacked once and applied to every token.
void matmul_int8(const Matrix& w, const float* x, size_t ldx, size_t nt, float* y, size_t ldy, unsigned threads,
                 ProductInput& in, Input input) {
    using Form = ProductInput::Form;
    const ActivationType act = activation_type(w.type);
    if (!in.reuse(input, Form::quantized, act, x, ldx, nt, w.cols)) int8::quantize(act, x, ldx, nt, w.cols, threads, in.quantized);
    const int8::Activations& quantized = in.quantized;
    if (nt <= int8::small_batch(w.type)) {  // each row read once, no panel to build
        constexpr size_t rb = 32;
        parallel_for((w.rows + rb - 1) / rb, threads, [&](size_t i) {
            const size_t r0 = i * rb, nr = std::min(rb, w.rows - r0);
            int8::product_rows(w.type, w.data + r0 * w.row_bytes, w.row_bytes, nr, quantized, y + r0, ldy);
        });
        return;
    }
    const size_t panels = (w.rows + int8::kRows - 1) / int8::kRows;
    parallel_for(panels, threads, [&](size_t i) {
        const size_t r0 = i * int8::kRows, nr = std::min(int8::kRows, w.rows - r0);
        thread_local int8::Panel panel;
        int8::unpack(w.type, w.data + r0 * w.row_bytes, w.row_bytes, nr, w.cols, panel);
        int8::product(panel, quantized, nr, y + r0, ldy);
    });
}

}  // namespace

// Y[t][r] = Σ_k X[t][k] · W[r][k] for the nt tokens of X (row stride ldx, zero-padded to
// padded(w.cols)), into Y (row stride ldy). With ggml numerics X is first rounded as ggml rounds
// it for w's type (in.rounded), or multiplied in the quantized domain (in.quantized: the
// activations' codes) where a kernel exists; Input::as_before reuses either when it fits.
void matmul(const Matrix& w, const float* x, size_t ldx, size_t nt, float* y, size_t ldy, unsigned threads,
            Numerics numerics, ProductInput& in, Input input) {
    using Form = ProductInput::Form;
    const kernels::Ops& ops = kernels::ops();
    const size_t n = padded(w.cols);
    if (numerics == Numerics::ggml && int8::supported(w.type, nt)) return matmul_int8(w, x, ldx, nt, y, ldy, threads, in, input);
    if (const ActivationType act = activation_type(w.type); numerics == Numerics::ggml && act != ActivationType::F32) {
        float* scratch = in.rounded.data();
        if (!in.reuse(input, Form::rounded, act, x, ldx, nt, w.cols))
            parallel_for(nt, threads, [&](size_t t) {
                std::copy_n(x + t * ldx, n, scratch + t * ldx);
                round_activations(act, scratch + t * ldx, w.cols);
            });
        x = scratch;
    } else {
        in.reuse(input, Form::none, act, x, ldx, nt, w.cols);
    }
    // Large blocks amortise the pass over X; small ones keep every thread busy on short inputs.
    size_t rb = nt >= 16 ? 64 : 16;
    const size_t min_items = 4 * std::max(1u, threads);
    while (rb > 4 && (w.rows + rb - 1) / rb < min_items) rb /= 2;
    const size_t items = (w.rows + rb - 1) / rb;
    const float* direct = w.direct();
    const bool f16_in_place = w.type == TensorType::F16 && ops.dot_block_f16 && w.cols == n;
    // F32/F16 products tinyBLAS declines — rows not a multiple of 16 wide, a height that is not a
    // multiple of 4 (a router of 6 experts, a shared expert's 1-row gate), experts' slices (ggml's
    // sgemm.cpp, tinyBLAS::matmul): ggml's vec_dot fallbacks (ggml_dot.hpp).
    const bool ggml_fallback = numerics == Numerics::ggml && (w.type == TensorType::F32 || w.type == TensorType::F16) &&
                               (w.cols % 16 != 0 || w.ggml_rows % 4 != 0 || w.ggml_rows == 0);
    parallel_for(items, threads, [&](size_t i) {
        const size_t r0 = i * rb, nr = std::min(rb, w.rows - r0);
        if (ggml_fallback) {
            thread_local std::vector<float> rows;
            if (rows.size() < nr * n) rows.resize(nr * n);
            w.decode_rows(r0, nr, rows.data(), n);
            const auto dot = w.type == TensorType::F32 ? ggml_dot_f32 : ggml_dot_f16;
            for (size_t t = 0; t < nt; ++t)
                for (size_t r = 0; r < nr; ++r) y[t * ldy + r0 + r] = dot(rows.data() + r * n, x + t * ldx, w.cols);
            return;
        }
        if (direct) {
            ops.dot_block(direct + r0 * w.cols, w.cols, nr, x, ldx, nt, n, y + r0, ldy);
            return;
        }
        if (f16_in_place) {
            ops.dot_block_f16(reinterpret_cast<const uint16_t*>(w.data + r0 * w.row_bytes), w.cols, nr, x, ldx, nt, n, y + r0, ldy);
            return;
        }
        thread_local std::vector<float> rows;
        if (rows.size() < nr * n) rows.resize(nr * n);
        w.decode_rows(r0, nr, rows.data(), n);
        ops.dot_block(rows.data(), n, nr, x, ldx, nt, n, y + r0, ldy);
    });
}


}  // namespace qframe::engine
