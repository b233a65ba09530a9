// libFuzzer target: the GGUF reader on arbitrary bytes, then every decodable tensor decoded.
// Any exception other than qframe::Error, any sanitizer report or crash is a finding.
#include <cstddef>
#include <cstdint>

#include "qframe/error.hpp"
#include "qframe/gguf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const auto file = qframe::GgufFile::parse({reinterpret_cast<const std::byte*>(data), size}, "fuzz.gguf");
        for (const auto& t : file.tensors()) {
            if (t.n_values > (1u << 20)) continue;  // keep each run fast; sizes were validated already
            try {
                (void)file.decode(t);
            } catch (const qframe::Error&) {
            }
        }
        for (const auto& [key, value] : file.metadata().entries()) (void)value.to_string();
    } catch (const qframe::Error&) {
    }
    return 0;
}
