// libFuzzer target: arbitrary text through every vocabulary of ../shared/data/vocab (llama.cpp's
// test vocabularies: SentencePiece and byte-level BPE with their pre-tokenizers), tokenized with
// and without special-token parsing, then decoded. Loaded once; QFRAME_FUZZ_VOCAB_DIR overrides
// the folder. A token id outside the vocabulary, an exception of any kind (text is never an
// error), a sanitizer report or a crash is a finding.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "qframe/gguf.hpp"
#include "qframe/tokenizer.hpp"

namespace {

std::vector<qframe::Tokenizer> load_vocabularies() {
    const char* env = std::getenv("QFRAME_FUZZ_VOCAB_DIR");
    const std::filesystem::path dir = env ? env : QFRAME_FUZZ_VOCAB_DIR;
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(dir))
        for (const auto& entry : std::filesystem::directory_iterator(dir))
            if (entry.path().extension() == ".gguf") files.push_back(entry.path());
    if (files.empty()) {
        std::fprintf(stderr, "fuzz_tokenizer: no vocabulary (*.gguf) in %s; set QFRAME_FUZZ_VOCAB_DIR\n", dir.c_str());
        std::abort();
    }
    std::sort(files.begin(), files.end());
    std::vector<qframe::Tokenizer> out;
    for (const auto& f : files) out.push_back(qframe::Tokenizer::from_gguf(qframe::GgufFile::open(f)));
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::vector<qframe::Tokenizer> vocabularies = load_vocabularies();
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (const auto& tokenizer : vocabularies) {
        for (bool parse_special : {false, true}) {
            const auto ids = tokenizer.tokenize(text, /*add_special=*/parse_special, parse_special);
            qframe::fuzz::check_token_ids(tokenizer, ids);
            (void)tokenizer.decode(ids, parse_special);
        }
    }
    return 0;
}
