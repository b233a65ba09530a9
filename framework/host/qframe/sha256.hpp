// SHA-256 digests (OpenSSL's libcrypto) for reports: which exact files a run read and wrote.
#pragma once

#include "qframe/export.hpp"

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace qframe {

// A digest's length in hexadecimal digits (what hex() returns).
inline constexpr size_t kSha256HexDigits = 64;

// A digest fed piece by piece (a file as it is written).
class QFRAME_API Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;
    void update(std::span<const std::byte> bytes);
    std::string hex();  // the digest of everything fed so far; ends the digest

private:
    struct State;
    std::unique_ptr<State> state_;
};

QFRAME_API std::string sha256_file(const std::filesystem::path& path);
// A file's identity without reading it: its canonical path (the same file named from another
// folder is the same file), size and modification time. Keys of cached results.
QFRAME_API std::string file_identity(const std::filesystem::path& path);
// Of bytes in memory (the sweep keys its cached results by the study text).
QFRAME_API std::string sha256_hex(std::string_view bytes);

}  // namespace qframe
