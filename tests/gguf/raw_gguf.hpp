// Builds GGUF bytes field by field, so tests can forge any field (counts, dims, offsets) freely.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "qframe/gguf.hpp"

namespace qframe::test {

class RawGguf {
public:
    template <class T>
    RawGguf& put(T v) {
        const auto* p = reinterpret_cast<const std::byte*>(&v);
        bytes.insert(bytes.end(), p, p + sizeof v);
        return *this;
    }
    RawGguf& str(const std::string& s) {
        put<uint64_t>(s.size());
        const auto* p = reinterpret_cast<const std::byte*>(s.data());
        bytes.insert(bytes.end(), p, p + s.size());
        return *this;
    }
    RawGguf& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
        bytes.clear();
        str_raw("GGUF");
        return put<uint32_t>(version).put<uint64_t>(n_tensors).put<uint64_t>(n_kv);
    }
    RawGguf& kv_u32(const std::string& key, uint32_t v) { return str(key).put<uint32_t>(4).put<uint32_t>(v); }
    RawGguf& tensor_info(const std::string& name, std::vector<int64_t> dims, uint32_t type, uint64_t offset) {
        str(name).put<uint32_t>(static_cast<uint32_t>(dims.size()));
        for (auto d : dims) put<int64_t>(d);
        return put<uint32_t>(type).put<uint64_t>(offset);
    }
    RawGguf& pad(size_t alignment = 32) {
        while (bytes.size() % alignment) bytes.push_back(std::byte{0});
        return *this;
    }
    RawGguf& data(size_t n, uint8_t fill = 0) {
        bytes.insert(bytes.end(), n, std::byte{fill});
        return *this;
    }
    GgufFile parse() const { return GgufFile::parse(bytes, "forged.gguf"); }

    std::vector<std::byte> bytes;

private:
    void str_raw(const char* s) {
        const auto* p = reinterpret_cast<const std::byte*>(s);
        bytes.insert(bytes.end(), p, p + std::strlen(s));
    }
};

}  // namespace qframe::test
