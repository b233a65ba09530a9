#include "qframe/engine/type_timing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <random>
#include <vector>

#include "kernels.hpp"
#include "product.hpp"
#include "qframe/codec.hpp"
#include "qframe/error.hpp"

namespace qframe::engine {
namespace {

using Clock = std::chrono::steady_clock;

// Rows of `type` from normal values of a trained matrix's scale (the IQ types ggml encodes only
// with an importance matrix get a uniform one). At most 64 distinct rows, repeated: the product
// reads every byte all the same, and the IQ encoders are slow.
std::vector<std::byte> random_weights(TensorType type, size_t cols, size_t rows) {
    const size_t distinct = std::min<size_t>(rows, 64);
    std::mt19937 rng(20261207);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> values(cols * distinct);
    for (float& v : values) v = normal(rng);
    const size_t row_bytes = *byte_size(type_info(type), cols);
    std::vector<std::byte> bytes(row_bytes * rows);
    const std::span<std::byte> head(bytes.data(), row_bytes * distinct);
    if (requires_importance(type)) {
        const std::vector<float> uniform(cols, 1.0f);
        encode_weighted(type, values, head, cols, uniform);
    } else {
        encode(type, values, head);
    }
    for (size_t r = distinct; r < rows; ++r) std::copy_n(bytes.data() + (r % distinct) * row_bytes, row_bytes, bytes.data() + r * row_bytes);
    return bytes;
}

// The median seconds of one product over the repetitions, each repeating it until it took
// options.min_seconds.
double median_seconds(const std::function<void()>& product, const TimingOptions& options) {
    product();  // warm-up: scratch pages, caches, the kernels' tables
    std::vector<double> per_call;
    for (unsigned r = 0; r < std::max(1u, options.repetitions); ++r) {
        size_t calls = 0;
        const auto start = Clock::now();
        double elapsed = 0;
        do {
            product();
            ++calls;
            elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        } while (elapsed < options.min_seconds);
        per_call.push_back(elapsed / static_cast<double>(calls));
    }
    std::sort(per_call.begin(), per_call.end());
    const size_t n = per_call.size();
    return n % 2 ? per_call[n / 2] : (per_call[n / 2 - 1] + per_call[n / 2]) / 2;
}

}  // namespace

bool can_time(TensorType type, size_t cols) {
    const TypeInfo& info = type_info(type);
    return cols > 0 && can_encode(type) && can_decode(type) && cols % info.block_size == 0;
}

ProductTiming time_product(TensorType type, size_t cols, size_t rows, const TimingOptions& options) {
    if (!can_time(type, cols) || rows == 0)
        throw Error(fmt::format("{} [{} × {}] cannot be timed: {}", type_name(type), cols, rows,
                                rows == 0 ? "no rows" : can_encode(type) && can_decode(type) ? fmt::format("rows of {} values are not whole blocks of {}", cols, type_info(type).block_size)
                                                                                             : "qframe does not encode and decode the type"));
    const std::vector<std::byte> bytes = random_weights(type, cols, rows);
    Matrix w;
    w.name = fmt::format("{}x{}", cols, rows);
    w.type = type;
    w.cols = cols;
    w.rows = rows;
    w.row_bytes = *byte_size(type_info(type), cols);
    w.data = bytes.data();
    w.ggml_rows = rows;

    const size_t nt = std::max<uint32_t>(1, options.prompt_tokens), ldx = kernels::padded(cols), ldy = kernels::padded(rows);
    Buffer x(nt * ldx), y(nt * ldy);
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (size_t t = 0; t < nt; ++t)
        for (size_t k = 0; k < cols; ++k) x.data()[t * ldx + k] = normal(rng);
    ProductInput in;
    if (options.numerics == Numerics::ggml) in.rounded = Buffer(nt * ldx);

    ProductTiming out;
    out.weight_bytes = bytes.size();
    const unsigned threads = std::max(1u, options.threads);
    // Each product from a fresh input, as a layer's first product: the activations rounded or
    // quantized every time.
    out.prompt_seconds = median_seconds([&] { matmul(w, x.data(), ldx, nt, y.data(), ldy, threads, options.numerics, in); }, options) /
                         static_cast<double>(nt);
    out.generation_seconds = median_seconds([&] { matmul(w, x.data(), ldx, 1, y.data(), ldy, threads, options.numerics, in); }, options);
    return out;
}

}  // namespace qframe::engine
