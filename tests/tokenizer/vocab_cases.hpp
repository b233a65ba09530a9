// llama.cpp's tokenizer test pairs: ggml-vocab-NAME.gguf.inp (inputs separated by lines
// "__ggml_vocab_test__") and .out (the expected ids of each input, one line each), read exactly
// as llama.cpp's tests/test-tokenizer-0.cpp reads them.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace qframe::test {

inline std::filesystem::path vocab_dir() { return std::filesystem::path(QFRAME_SOURCE_DIR) / ".." / "shared" / "data" / "vocab"; }

inline std::string read_whole_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Input → expected ids. A map, like llama.cpp's: a repeated input keeps its last expectation.
// Empty when the files are missing or disagree in count.
inline std::map<std::string, std::vector<int32_t>> read_cases(const std::filesystem::path& inputs_file,
                                                              const std::filesystem::path& ids_file) {
    std::map<std::string, std::vector<int32_t>> cases;
    const std::string raw = read_whole_file(inputs_file);
    std::ifstream out_file(ids_file);
    if (raw.empty() || !out_file) return cases;

    std::vector<std::string> inputs;
    const std::string separator = "\n__ggml_vocab_test__\n";
    for (size_t pos = 0; pos < raw.size();) {
        const size_t next = raw.find(separator, pos);
        if (next == std::string::npos) {
            inputs.push_back(raw.substr(pos));
            break;
        }
        inputs.push_back(raw.substr(pos, next - pos));
        pos = next + separator.size();
    }
    std::vector<std::vector<int32_t>> outputs;
    for (std::string line; std::getline(out_file, line);) {
        std::istringstream ids(line);
        outputs.emplace_back();
        for (int32_t id; ids >> id;) outputs.back().push_back(id);
    }
    if (inputs.size() != outputs.size()) return cases;
    for (size_t i = 0; i < inputs.size(); ++i) cases[inputs[i]] = outputs[i];
    return cases;
}

// The pairs beside a vocabulary file: NAME.gguf.inp and NAME.gguf.out.
inline std::map<std::string, std::vector<int32_t>> read_vocab_cases(const std::filesystem::path& gguf) {
    return read_cases(gguf.string() + ".inp", gguf.string() + ".out");
}

}  // namespace qframe::test
