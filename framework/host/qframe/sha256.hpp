// SHA-256 digests (OpenSSL's libcrypto) for reports: which exact files a run read and wrote.
#pragma once

#include "qframe/export.hpp"

#include <filesystem>
#include <string>

namespace qframe {

QFRAME_API std::string sha256_file(const std::filesystem::path& path);

}  // namespace qframe
