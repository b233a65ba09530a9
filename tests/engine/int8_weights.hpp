// Weights encoded for the quantized-domain kernels (int8_product.hpp), as the engine's tests set
// them up: the rows encoded as one type, or a visible skip where this CPU has no kernel for it.
#pragma once

#include <catch2/catch.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "int8_product.hpp"
#include "qframe/codec.hpp"

namespace qframe::test {

struct EncodedRows {
    std::vector<std::byte> bytes;
    size_t row_bytes;
};

// w (rows of n values) encoded as `type` (with an importance per column, if given); nullopt, with a
// warning, without a kernel for it here.
inline std::optional<EncodedRows> encode_for_int8(TensorType type, const std::vector<float>& w, size_t n,
                                                  std::span<const float> importance = {}) {
    if (!engine::int8::supported(type)) {
        WARN("no quantized-domain kernel for " << type_name(type) << " on this CPU (AVX-512 VNNI or AVX2): skipped");
        return std::nullopt;
    }
    const size_t row_bytes = *byte_size(type_info(type), n);
    EncodedRows out{std::vector<std::byte>(w.size() / n * row_bytes), row_bytes};
    if (importance.empty()) encode(type, w, out.bytes);
    else encode_weighted(type, w, out.bytes, n, importance);
    return out;
}

}  // namespace qframe::test
