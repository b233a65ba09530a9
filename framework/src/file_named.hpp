// A message about a file's contents that names the file once: "FILE: what", unless `what`
// already names it (the reader's messages do).
#pragma once

#include <fmt/format.h>

#include <string>

namespace qframe {

inline std::string file_named(const std::string& file, const std::string& what) {
    return what.find(file) == std::string::npos ? fmt::format("{}: {}", file, what) : what;
}

}  // namespace qframe
