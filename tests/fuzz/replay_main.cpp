// The fuzz targets' driver in builds without libFuzzer: every file of the corpus folders given is
// passed to LLVMFuzzerTestOneInput once, so each target keeps compiling and its seeds (and any
// input a fuzzer once found) keep passing in the test suite.
// Usage: fuzz_TARGET [--needs DIR] CORPUS_DIR...   (exit 77, "SKIPPED", when DIR is absent)
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
    std::vector<std::filesystem::path> files;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--needs" && i + 1 < argc) {
            if (!std::filesystem::is_directory(argv[++i])) {
                std::printf("SKIPPED: %s not present\n", argv[i]);
                return 77;
            }
            continue;
        }
        for (const auto& entry : std::filesystem::recursive_directory_iterator(arg))
            if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
        std::fprintf(stderr, "no corpus files given\n");
        return 2;
    }
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::printf("%s (%zu bytes)\n", f.c_str(), bytes.size());
        std::fflush(stdout);
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    }
    std::printf("%zu inputs, no findings\n", files.size());
    return 0;
}
