// A scratch folder for the fuzz targets that read files by path: created once per process under
// the system's temporary folder with the micro model (tests/fuzz/corpus/gguf/micro.gguf) as
// model.gguf and a short English text as text.txt; removed at exit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace qframe::fuzz {

class Scratch {
public:
    Scratch() {
        std::string pattern = (std::filesystem::temp_directory_path() / "qframe-fuzz.XXXXXX").string();
        if (!mkdtemp(pattern.data())) std::abort();
        dir_ = pattern;
        std::filesystem::copy_file(std::filesystem::path(QFRAME_FUZZ_DATA_DIR) / "corpus/gguf/micro.gguf", model());
        std::ofstream(dir_ / "text.txt") << "The quick brown fox jumps over the lazy dog. It was a bright cold day in April.\n";
    }
    ~Scratch() {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;

    const std::filesystem::path& dir() const { return dir_; }
    std::filesystem::path model() const { return dir_ / "model.gguf"; }
    // Replaces dir/name with the bytes and returns its path.
    std::filesystem::path write(const std::string& name, const uint8_t* data, size_t size) const {
        const auto path = dir_ / name;
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
        return path;
    }

private:
    std::filesystem::path dir_;
};

}  // namespace qframe::fuzz
