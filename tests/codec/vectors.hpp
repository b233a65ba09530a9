// Loads the reference vectors in tests/codec/vectors (see docs/codecs.md for the format).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace codec_test {

inline std::string vector_path(const std::string& file) {
    return std::string(QFRAME_SOURCE_DIR) + "/tests/codec/vectors/" + file;
}

inline bool vector_exists(const std::string& file) { return std::ifstream(vector_path(file)).good(); }

inline std::vector<std::byte> read_bytes(const std::string& file) {
    std::ifstream in(vector_path(file), std::ios::binary);
    if (!in) throw std::runtime_error("missing test vector " + vector_path(file));
    std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> out(raw.size());
    std::memcpy(out.data(), raw.data(), raw.size());
    return out;
}

// Little-endian F32 file, kept as bit patterns so NaN payloads compare exactly.
inline std::vector<uint32_t> read_f32_bits(const std::string& file) {
    const auto bytes = read_bytes(file);
    std::vector<uint32_t> out(bytes.size() / 4);
    std::memcpy(out.data(), bytes.data(), out.size() * 4);
    return out;
}

inline std::vector<float> read_f32(const std::string& file) {
    const auto bits = read_f32_bits(file);
    std::vector<float> out(bits.size());
    std::memcpy(out.data(), bits.data(), bits.size() * 4);
    return out;
}

inline std::vector<uint32_t> bits_of(const std::vector<float>& v) {
    std::vector<uint32_t> out(v.size());
    std::memcpy(out.data(), v.data(), v.size() * 4);
    return out;
}

// Every vector set: "<type>.<kind>" with files .bin (encoded), .f32 (ggml's decode of .bin)
// and, where ggml produced .bin from floats, .src (those floats).
inline const char* const kSets[] = {
    "f32.raw",   "f32.edge",   "f16.raw",   "f16.edge",   "bf16.raw",  "bf16.edge",
    "q8_0.quant", "q8_0.raw",  "q8_0.edge",
    "q4_0.quant", "q4_0.raw",  "q4_0.edge", "q4_1.quant", "q4_1.raw", "q4_1.edge",
    "q5_0.quant", "q5_0.raw",  "q5_0.edge", "q5_1.quant", "q5_1.raw", "q5_1.edge",
    "q2_k.quant", "q2_k.raw",  "q2_k.edge", "q3_k.quant", "q3_k.raw", "q3_k.edge",
    "q4_k.quant", "q4_k.raw",  "q4_k.edge", "q5_k.quant", "q5_k.raw", "q5_k.edge",
    "q6_k.quant", "q6_k.raw",  "q6_k.edge",
    "iq4_nl.quant", "iq4_nl.raw", "iq4_nl.edge", "iq4_xs.quant", "iq4_xs.raw", "iq4_xs.edge",
    "iq2_xxs.raw", "iq2_xs.raw", "iq2_s.quant", "iq2_s.raw", "iq3_xxs.quant", "iq3_xxs.raw", "iq3_s.quant", "iq3_s.raw", "iq1_s.raw", "iq1_m.quant", "iq1_m.raw",
    "tq1_0.quant", "tq1_0.raw", "tq1_0.edge", "tq2_0.quant", "tq2_0.raw", "tq2_0.edge", "mxfp4.raw",
};

inline std::string type_prefix(const std::string& set) { return set.substr(0, set.find('.')); }

}  // namespace codec_test
