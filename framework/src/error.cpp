#include "qframe/error.hpp"

#include <fmt/format.h>

namespace qframe {

Error::~Error() = default;

FormatError::FormatError(const std::string& file, uint64_t offset, const std::string& what)
    : Error(fmt::format("{}: at byte {}: {}", file, offset, what)), file_(file), offset_(offset) {}

}  // namespace qframe
