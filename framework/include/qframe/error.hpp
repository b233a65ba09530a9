// Errors qframe reports to users: each carries a message that stands on its own as one line.
#pragma once

#include "qframe/export.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace qframe {

// Any failure meant for the user (bad input, I/O failure, bad option).
// Its destructor is defined in the library (the key function), so the vtable and type_info live
// there once: a plugin's Error is caught as the host's.
class QFRAME_API Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
    ~Error() override;
};

// A GGUF file that breaks the format: names the file, the byte offset and what is wrong.
class QFRAME_API FormatError : public Error {
public:
    FormatError(const std::string& file, uint64_t offset, const std::string& what);
    const std::string& file() const { return file_; }
    uint64_t offset() const { return offset_; }

private:
    std::string file_;
    uint64_t offset_;
};

}  // namespace qframe
