// What several fuzz targets share: the built-in plugins' stages, the check of a tokenizer's ids,
// and a scratch folder for the targets that read files by path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>

#include "qframe/catalog.hpp"
#include "qframe/tokenizer.hpp"

namespace qframe::fuzz {

// The stages of the plugins beside the binary, loaded once.
inline const StageCatalog& built_in_stages() {
    static const auto catalog = [] {
        auto c = std::make_unique<StageCatalog>();
        c->load_default_paths();
        return c;
    }();
    return *catalog;
}

// A token id outside the vocabulary is a finding: it aborts, naming the tokenizer.
inline void check_token_ids(const Tokenizer& tokenizer, std::span<const int32_t> ids) {
    for (int32_t id : ids)
        if (id < 0 || static_cast<size_t>(id) >= tokenizer.size()) {
            std::fprintf(stderr, "fuzz: the %s/%s tokenizer gave token id %d of a %zu-token vocabulary\n", tokenizer.model().c_str(),
                         tokenizer.pre_tokenizer().c_str(), id, tokenizer.size());
            std::abort();
        }
}

// Created under the system's temporary folder with the micro model (tests/fuzz/corpus/gguf/
// micro.gguf) as model.gguf, a short English text as text.txt and, given, a study file of
// tests/fuzz/ as study.yaml; removed at exit.
class Scratch {
public:
    explicit Scratch(const char* study = nullptr) {
        std::string pattern = (std::filesystem::temp_directory_path() / "qframe-fuzz.XXXXXX").string();
        if (!mkdtemp(pattern.data())) std::abort();
        dir_ = pattern;
        const std::filesystem::path data = QFRAME_FUZZ_DATA_DIR;
        std::filesystem::copy_file(data / "corpus/gguf/micro.gguf", model());
        std::ofstream(dir_ / "text.txt") << "The quick brown fox jumps over the lazy dog. It was a bright cold day in April.\n";
        if (study) std::filesystem::copy_file(data / study, dir_ / "study.yaml");
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
