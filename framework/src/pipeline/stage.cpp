#include "qframe/stage.hpp"
#include "qframe/tensor_names.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "qframe/codec.hpp"
#include "qframe/error.hpp"

namespace qframe {

bool ModelInfo::has_tensor(std::string_view name) const {
    return std::find(tensor_names.begin(), tensor_names.end(), name) != tensor_names.end();
}

uint64_t TensorData::n_values() const {
    uint64_t n = 1;
    for (uint64_t d : dims) n *= d;  // the reader has checked this cannot overflow
    return n;
}

int tensor_layer(std::string_view name) { return parse_tensor_name(name).layer; }

uint32_t block_count(const Metadata& model) {
    const Value* arch = model.find("general.architecture");
    if (!arch || arch->type() != ValueType::STRING)
        throw Error("the model's metadata has no string general.architecture, so its block count is unknown");
    const std::string key = arch->as_string() + ".block_count";
    const Value* count = model.find(key);
    if (!count) throw Error(fmt::format("the model's metadata has no {} (its number of layers)", key));
    uint64_t n = 0;
    try {
        n = count->as_u64();
    } catch (const Error& e) {
        throw Error(fmt::format("the model's {} is not a layer count: {}", key, e.what()));
    }
    if (n > std::numeric_limits<uint32_t>::max()) throw Error(fmt::format("the model's {} ({}) is not a layer count", key, n));
    return static_cast<uint32_t>(n);
}

bool TensorData::decodable() const { return type && can_decode(type->type); }

std::vector<float> TensorData::decode() const {
    if (!decodable()) throw Error(fmt::format("tensor '{}' has type {}, which qframe cannot decode", name, type_name()));
    std::vector<float> values(n_values());
    qframe::decode(type->type, bytes, values);
    return values;
}

std::vector<std::byte> TensorData::encoded_as(TensorType to) const {
    if (!decodable()) throw Error(fmt::format("tensor '{}' has type {}, which qframe cannot decode", name, type_name()));
    const TypeInfo& out_type = type_info(to);
    if (!can_encode(to)) throw Error(fmt::format("tensor '{}': qframe cannot encode {}", name, out_type.name));
    if (importance.empty() && requires_importance(to))
        throw Error(fmt::format("tensor '{}': {} is encoded only with an importance matrix (ggml's encoder requires one), and this tensor has none",
                                name, out_type.name));
    const uint64_t row = row_length();
    if (row == 0 || row % out_type.block_size != 0)
        throw Error(fmt::format("tensor '{}': its rows of {} values are not whole blocks of {} ({} values)", name, row, out_type.name, out_type.block_size));
    const uint64_t rows = n_values() / row;
    // With importance: one weight per column of each matrix (each expert's own).
    const uint64_t n_matrices = importance.empty() ? 1 : importance.size() / row;
    if (!importance.empty() && (importance.size() % row != 0 || rows % n_matrices != 0))
        throw Error(fmt::format("tensor '{}': an importance of {} values for {} rows of {}", name, importance.size(), rows, row));
    const uint64_t rows_per_matrix = rows / n_matrices;
    // About 1 M values of F32 scratch (4 MiB), whole rows.
    const uint64_t band = std::max<uint64_t>(1, (1u << 20) / row);
    const uint64_t in_row = *byte_size(*type, row), out_row = *byte_size(out_type, row);
    std::vector<std::byte> out(rows * out_row);
    std::vector<float> scratch(std::min(rows, band) * row);
    for (uint64_t r = 0; r < rows; r += band) {
        const uint64_t n = std::min(band, rows - r);
        const std::span<float> values(scratch.data(), n * row);
        qframe::decode(type->type, bytes.subspan(r * in_row, n * in_row), values);
        if (importance.empty()) {
            qframe::encode(to, values, std::span(out).subspan(r * out_row, n * out_row));
            continue;
        }
        for (uint64_t first = r; first < r + n;) {  // the band's rows, matrix by matrix
            const uint64_t matrix = first / rows_per_matrix, last = std::min(r + n, (matrix + 1) * rows_per_matrix);
            qframe::encode_weighted(to, values.subspan((first - r) * row, (last - first) * row),
                                    std::span(out).subspan(first * out_row, (last - first) * out_row), row, importance.subspan(matrix * row, row));
            first = last;
        }
    }
    return out;
}

}  // namespace qframe
