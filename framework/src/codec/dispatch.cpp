// The public decode/encode entry points: pick a kernel per type and check buffer sizes.
// Adding a codec = write its kernel in the block family's file and add it to kKernels.

#include <stdexcept>
#include <string>

#include "codec/kernels.hpp"
#include "qframe/codec.hpp"

namespace qframe {
namespace {

struct Kernels {
    TensorType type;
    codec::DecodeFn decode;
    codec::EncodeFn encode;  // nullptr: no encoder yet, or (with encode_weighted) only with importance
    codec::WeightedEncodeFn encode_weighted = nullptr;  // nullptr: ggml ignores importance for it
};

constexpr Kernels kKernels[] = {
    {TensorType::F32, codec::decode_f32, codec::encode_f32},
    {TensorType::F16, codec::decode_f16, codec::encode_f16},
    {TensorType::BF16, codec::decode_bf16, codec::encode_bf16},
    {TensorType::Q8_0, codec::decode_q8_0, codec::encode_q8_0},
    {TensorType::Q4_0, codec::decode_q4_0, codec::encode_q4_0, codec::encode_q4_0_weighted},
    {TensorType::Q4_1, codec::decode_q4_1, codec::encode_q4_1, codec::encode_q4_1_weighted},
    {TensorType::Q5_0, codec::decode_q5_0, codec::encode_q5_0, codec::encode_q5_0_weighted},
    {TensorType::Q5_1, codec::decode_q5_1, codec::encode_q5_1, codec::encode_q5_1_weighted},
    {TensorType::Q2_K, codec::decode_q2_k, codec::encode_q2_k, codec::encode_q2_k_weighted},
    {TensorType::Q3_K, codec::decode_q3_k, codec::encode_q3_k, codec::encode_q3_k_weighted},
    {TensorType::Q4_K, codec::decode_q4_k, codec::encode_q4_k, codec::encode_q4_k_weighted},
    {TensorType::Q5_K, codec::decode_q5_k, codec::encode_q5_k, codec::encode_q5_k_weighted},
    {TensorType::Q6_K, codec::decode_q6_k, codec::encode_q6_k, codec::encode_q6_k_weighted},
    {TensorType::IQ4_NL, codec::decode_iq4_nl, codec::encode_iq4_nl, codec::encode_iq4_nl_weighted},
    {TensorType::IQ4_XS, codec::decode_iq4_xs, codec::encode_iq4_xs, codec::encode_iq4_xs_weighted},
    {TensorType::IQ2_XXS, codec::decode_iq2_xxs, nullptr, codec::encode_iq2_xxs_weighted},
    {TensorType::IQ2_XS, codec::decode_iq2_xs, nullptr, codec::encode_iq2_xs_weighted},
    {TensorType::IQ2_S, codec::decode_iq2_s, codec::encode_iq2_s, codec::encode_iq2_s_weighted},
    {TensorType::IQ3_XXS, codec::decode_iq3_xxs, codec::encode_iq3_xxs, codec::encode_iq3_xxs_weighted},
    {TensorType::IQ3_S, codec::decode_iq3_s, codec::encode_iq3_s, codec::encode_iq3_s_weighted},
    {TensorType::IQ1_S, codec::decode_iq1_s, nullptr, codec::encode_iq1_s_weighted},
    {TensorType::IQ1_M, codec::decode_iq1_m, codec::encode_iq1_m, codec::encode_iq1_m_weighted},
    {TensorType::TQ1_0, codec::decode_tq1_0, codec::encode_tq1_0},
    {TensorType::TQ2_0, codec::decode_tq2_0, codec::encode_tq2_0},
    {TensorType::MXFP4, codec::decode_mxfp4, nullptr},
};

const Kernels* find_kernels(TensorType type) {
    for (const auto& k : kKernels)
        if (k.type == type) return &k;
    return nullptr;
}

// A type ggml encodes only with an importance matrix: a weighted encoder and no plain one.
bool weighted_only(const Kernels* k) { return k && !k->encode && k->encode_weighted; }

std::string describe(TensorType type) {
    if (const TypeInfo* info = find_type(static_cast<uint32_t>(type))) return std::string(info->name);
    return "type id " + std::to_string(static_cast<uint32_t>(type));
}

// Validates the sizes and returns the number of blocks.
size_t check_sizes(const char* what, TensorType type, size_t n_values, size_t n_bytes) {
    const TypeInfo& info = type_info(type);
    const std::string where = std::string(what) + "(" + std::string(info.name) + "): ";
    if (n_values % info.block_size != 0)
        throw std::invalid_argument(where + std::to_string(n_values) +
                                    " values is not a whole number of blocks of " +
                                    std::to_string(info.block_size));
    const size_t n_blocks = n_values / info.block_size;
    const auto expected = byte_size(info, n_values);
    if (!expected || *expected != n_bytes)
        throw std::invalid_argument(where + std::to_string(n_values) + " values take " +
                                    std::to_string(n_blocks) + " blocks of " +
                                    std::to_string(info.block_bytes) + " bytes, but " +
                                    std::to_string(n_bytes) + " bytes were given");
    return n_blocks;
}

}  // namespace

bool can_decode(TensorType type) { return find_kernels(type) != nullptr; }

bool can_encode(TensorType type) {
    const Kernels* k = find_kernels(type);
    return k && (k->encode || k->encode_weighted);
}

bool requires_importance(TensorType type) { return weighted_only(find_kernels(type)); }

void decode(TensorType type, std::span<const std::byte> bytes, std::span<float> values) {
    const Kernels* k = find_kernels(type);
    if (!k) throw std::invalid_argument("decode: no decoder for " + describe(type));
    const size_t n_blocks = check_sizes("decode", type, values.size(), bytes.size());
    if (n_blocks == 0) return;  // an empty span may have a null data()
    k->decode(bytes.data(), values.data(), n_blocks);
}

void encode(TensorType type, std::span<const float> values, std::span<std::byte> bytes) {
    const Kernels* k = find_kernels(type);
    if (weighted_only(k))
        throw std::invalid_argument("encode: " + describe(type) + " is encoded only with an importance matrix (encode_weighted), as in ggml");
    if (!k || !k->encode) throw std::invalid_argument("encode: no encoder for " + describe(type));
    const size_t n_blocks = check_sizes("encode", type, values.size(), bytes.size());
    if (n_blocks == 0) return;
    k->encode(values.data(), bytes.data(), n_blocks);
}

bool weighs_importance(TensorType type) {
    const Kernels* k = find_kernels(type);
    return k && k->encode_weighted;
}

void encode_weighted(TensorType type, std::span<const float> values, std::span<std::byte> bytes, size_t row_length,
                     std::span<const float> importance) {
    const Kernels* k = find_kernels(type);
    if (!can_encode(type)) throw std::invalid_argument("encode_weighted: no encoder for " + describe(type));
    const size_t n_blocks = check_sizes("encode_weighted", type, values.size(), bytes.size());
    const TypeInfo& info = type_info(type);
    if (row_length == 0 || row_length % info.block_size != 0 || values.size() % row_length != 0)
        throw std::invalid_argument("encode_weighted(" + describe(type) + "): rows of " + std::to_string(row_length) + " values for " +
                                    std::to_string(values.size()) + " values in blocks of " + std::to_string(info.block_size));
    if (importance.size() != row_length)
        throw std::invalid_argument("encode_weighted(" + describe(type) + "): " + std::to_string(importance.size()) +
                                    " weights for rows of " + std::to_string(row_length));
    if (n_blocks == 0) return;
    if (!k->encode_weighted) return k->encode(values.data(), bytes.data(), n_blocks);
    const size_t row_bytes = bytes.size() / (values.size() / row_length);
    for (size_t r = 0; r < values.size() / row_length; ++r)
        k->encode_weighted(values.data() + r * row_length, bytes.data() + r * row_bytes, row_length, importance.data());
}

void encode_bf16_truncate(std::span<const float> values, std::span<std::byte> bytes) {
    const size_t n = check_sizes("encode_bf16_truncate", TensorType::BF16, values.size(), bytes.size());
    if (n == 0) return;
    codec::encode_bf16_trunc(values.data(), bytes.data(), n);
}

}  // namespace qframe
