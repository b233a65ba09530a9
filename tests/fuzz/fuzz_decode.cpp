// libFuzzer target: each decoder on arbitrary block bytes, and each encoder on the same bytes
// read as F32 values (NaN, infinities and subnormals included), with unit importance where the
// type needs it. The first byte picks the type. The IQ searches refuse what ggml aborts on
// (std::domain_error, documented in qframe/codec.hpp); anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "qframe/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    std::vector<const qframe::TypeInfo*> types;
    for (const auto& t : qframe::all_types())
        if (qframe::can_decode(t.type) || qframe::can_encode(t.type)) types.push_back(&t);
    const qframe::TypeInfo& type = *types[data[0] % types.size()];
    const uint8_t* body = data + 1;
    const size_t body_size = size - 1;

    if (qframe::can_decode(type.type)) {
        const size_t blocks = body_size / type.block_bytes;
        std::vector<float> values(blocks * type.block_size);
        qframe::decode(type.type, {reinterpret_cast<const std::byte*>(body), blocks * type.block_bytes}, values);
    }
    if (qframe::can_encode(type.type)) {
        const size_t n = body_size / sizeof(float) / type.block_size * type.block_size;
        std::vector<float> values(n);
        if (n) std::memcpy(values.data(), body, n * sizeof(float));
        std::vector<std::byte> bytes(*qframe::byte_size(type, n));
        try {
            if (!qframe::requires_importance(type.type)) qframe::encode(type.type, values, bytes);
            else if (n) qframe::encode_weighted(type.type, values, bytes, n, std::vector<float>(n, 1.0f));
        } catch (const std::domain_error&) {
        }
    }
    return 0;
}
