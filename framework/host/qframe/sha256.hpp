// SHA-256 digests (OpenSSL's libcrypto) for reports: which exact files a run read and wrote.
#pragma once

#include "qframe/export.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace qframe {

QFRAME_API std::string sha256_file(const std::filesystem::path& path);
// Of bytes in memory (the sweep keys its cached results by the study text).
QFRAME_API std::string sha256_hex(std::string_view bytes);

}  // namespace qframe
