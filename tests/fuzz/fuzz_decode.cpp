// libFuzzer target: each decoder on arbitrary block bytes (the first byte picks the type).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "qframe/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    std::vector<const qframe::TypeInfo*> decodable;
    for (const auto& t : qframe::all_types())
        if (qframe::can_decode(t.type)) decodable.push_back(&t);
    const qframe::TypeInfo& type = *decodable[data[0] % decodable.size()];
    const size_t blocks = (size - 1) / type.block_bytes;
    if (blocks == 0) return 0;
    std::vector<float> values(blocks * type.block_size);
    qframe::decode(type.type, {reinterpret_cast<const std::byte*>(data + 1), blocks * type.block_bytes}, values);
    return 0;
}
