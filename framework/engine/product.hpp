// The engine's matrix product: Y = X · Wᵀ for a batch of tokens, in the arithmetic the context's
// numerics ask for (ggml's roundings, or plain F32), with the scratch it needs. One product per
// call; the forward pass (context.cpp) and the per-type timings (type_timing.cpp) call it.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <memory>
#include <new>

#include "ggml_rounding.hpp"
#include "int8_product.hpp"
#include "model_impl.hpp"

namespace qframe::engine {

// A zero-filled, page-aligned float buffer from the kernel (an anonymous mapping): its pages
// count in the resident set only once written, so scratch a pass does not use (the rounded
// copies where every product is quantized, batch rows beyond the batch, cache positions beyond
// the context used so far) costs no memory.
struct Unmap {
    size_t bytes = 0;
    void operator()(float* p) const { munmap(p, bytes); }
};

class Buffer {
public:
    Buffer() = default;
    explicit Buffer(size_t n) : n_(n) {
        if (n == 0) return;
        const size_t bytes = n * sizeof(float);
        void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        data_ = std::unique_ptr<float, Unmap>(static_cast<float*>(p), Unmap{bytes});
    }
    float* data() { return data_.get(); }
    const float* data() const { return data_.get(); }
    size_t size() const { return n_; }

private:
    std::unique_ptr<float, Unmap> data_;
    size_t n_ = 0;
};

// A product's input as ggml numerics see it: rounded for the weight's type, or quantized for the
// quantized-domain kernels. Products that read one input in a row (Q, K and V; gate and up) make
// it once: `made_from` says what the last product left here, so the next one can tell.
struct ProductInput {
    Buffer rounded;               // room for n_batch rows of the widest input
    int8::Activations quantized;
    enum class Form { none, rounded, quantized } form = Form::none;
    const float* made_from = nullptr;
    size_t ld = 0, nt = 0, cols = 0;
    ActivationType as = ActivationType::F32;

    // Whether a product's input is the previous product's, unchanged since: then its rounded or
    // quantized form is reused where the weight types agree.
    enum class Input { fresh, as_before };

    // True when this form of x is here already (`input` allowing); otherwise records that the
    // caller makes it now (Form::none: that neither form here is x's).
    bool reuse(Input input, Form f, ActivationType a, const float* x, size_t ldx, size_t n_tokens, size_t n_cols) {
        if (input == Input::as_before && f != Form::none && form == f && as == a && made_from == x && ld == ldx &&
            nt == n_tokens && cols == n_cols)
            return true;
        form = f, as = a, made_from = x, ld = ldx, nt = n_tokens, cols = n_cols;
        return false;
    }
};
using Input = ProductInput::Input;


// Y[t][r] = Σ_k X[t][k] · W[r][k] for the nt tokens of X (row stride ldx, zero-padded to
// padded(w.cols)), into Y (row stride ldy). With ggml numerics X is first rounded as ggml rounds
// it for w's type (in.rounded), or multiplied in the quantized domain (in.quantized: the
// activations' codes) where a kernel exists; Input::as_before reuses either when it fits.
void matmul(const Matrix& w, const float* x, size_t ldx, size_t nt, float* y, size_t ldy, unsigned threads,
            Numerics numerics, ProductInput& in, Input input = Input::fresh);

}  // namespace qframe::engine
