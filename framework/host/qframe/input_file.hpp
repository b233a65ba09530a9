// Every file qframe reads by a path it was given (models, recipes, studies, texts, results,
// importance matrices) is opened here: it is a regular file, or a one-line error says what it
// is instead. A FIFO cannot block the open (O_NONBLOCK until fstat has looked), and a device such
// as /dev/zero is never read without end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "qframe/export.hpp"

namespace qframe {

// The most read of a text that configures work (a recipe, a study, a tensor-type or JSON file).
inline constexpr uint64_t kMaxSettingsFileBytes = 16ull << 20;
// The most read of an evaluation or calibration text.
inline constexpr uint64_t kMaxTextFileBytes = 1ull << 30;

class QFRAME_API InputFile {
public:
    // `what` is the file's role in messages: "recipe", "evaluation text". Throws qframe::Error
    // naming the path when it cannot be opened or is not a regular file.
    InputFile(const std::filesystem::path& path, std::string_view what);
    ~InputFile();
    InputFile(InputFile&& other) noexcept;
    InputFile& operator=(InputFile&&) = delete;
    InputFile(const InputFile&) = delete;

    int fd() const { return fd_; }
    uint64_t size() const { return size_; }  // as fstat saw it on opening
    // Hands the descriptor over: the caller closes it.
    int release();
    // The whole file, refused (naming the limit) when it is larger than `max_bytes`.
    std::string read_all(uint64_t max_bytes) const;

private:
    std::filesystem::path path_;
    std::string what_;
    int fd_ = -1;
    uint64_t size_ = 0;
};

// InputFile(path, what).read_all(max_bytes).
QFRAME_API std::string read_input_text(const std::filesystem::path& path, std::string_view what, uint64_t max_bytes);

// A text to score or calibrate on (at most kMaxTextFileBytes), with a warning when some of its
// bytes are not UTF-8: the tokenizers read each such byte as U+FFFD, as llama.cpp does, which
// scores a different text than the one meant (a UTF-16 file, a binary given by mistake).
QFRAME_API std::string read_evaluation_text(const std::filesystem::path& path);

}  // namespace qframe
