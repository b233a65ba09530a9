// Acceptance test on a real model: re-encoding the F16 weights of tiny-llama must reproduce,
// byte for byte, every tensor llama-quantize (no importance matrix) wrote in the quantized
// variants of the same model. The models live outside the repository, in ../shared/data; the
// test is skipped, with a warning, where they are absent.
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <string>

#include "qframe/codec.hpp"
#include "qframe/gguf.hpp"

using namespace qframe;

namespace {

std::filesystem::path models_dir() {
    return std::filesystem::path(QFRAME_SOURCE_DIR) / ".." / "shared" / "data" / "models";
}

}  // namespace

TEST_CASE("encoders reproduce llama-quantize's tensors of tiny-llama", "[codec][encode][model]") {
    const auto dir = models_dir();
    if (!std::filesystem::exists(dir / "tiny-llama-f16.gguf")) {
        WARN("skipped: " << (dir / "tiny-llama-f16.gguf").string() << " not found");
        return;
    }
    const GgufFile f16 = GgufFile::open(dir / "tiny-llama-f16.gguf");
    // File suffix -> a type that must appear in it (so a file quietly lacking it fails).
    const std::pair<const char*, TensorType> variants[] = {
        {"q4_0", TensorType::Q4_0},   {"q4_1", TensorType::Q4_1},   {"q5_0", TensorType::Q5_0},
        {"q5_1", TensorType::Q5_1},   {"q8_0", TensorType::Q8_0},   {"q6_k", TensorType::Q6_K},
        {"q4_k_m", TensorType::Q4_K}, {"q5_k_m", TensorType::Q5_K}, {"q3_k_m", TensorType::Q3_K},
        {"q2_k", TensorType::Q2_K},
    };
    for (const auto& [suffix, main_type] : variants) {
        const auto path = dir / ("tiny-llama-" + std::string(suffix) + ".gguf");
        if (!std::filesystem::exists(path)) {
            WARN("skipped: " << path.string() << " not found");
            continue;
        }
        DYNAMIC_SECTION(suffix) {
            const GgufFile quant = GgufFile::open(path);
            int compared = 0, of_main_type = 0;
            for (const TensorInfo& t : quant.tensors()) {
                if (!t.type || t.type->type == TensorType::F32) continue;  // norms stay F32
                const TensorInfo* src = f16.find_tensor(t.name);
                REQUIRE(src != nullptr);
                REQUIRE(can_encode(t.type->type));
                const std::vector<float> x = f16.decode(*src);
                std::vector<std::byte> out(t.n_bytes);
                encode(t.type->type, x, out);
                INFO(t.name << " as " << t.type_name());
                CHECK(std::memcmp(out.data(), t.data.data(), out.size()) == 0);
                ++compared;
                of_main_type += t.type->type == main_type;
            }
            CHECK(of_main_type > 0);
            CHECK(compared >= 16);
        }
    }
}
