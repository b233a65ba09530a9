// libFuzzer target: recipe text through YAML parsing, stage lookup and option validation
// against the built-in plugins (loaded once).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "qframe/error.hpp"
#include "qframe/recipe.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const qframe::StageCatalog& catalog = qframe::fuzz::built_in_stages();
    try {
        (void)qframe::load_plan_text(std::string(reinterpret_cast<const char*>(data), size), "fuzz.yaml", catalog,
                                     qframe::RecipeOverrides{std::filesystem::path("in.gguf"), {}, {}, {}});
    } catch (const qframe::Error&) {
    }
    return 0;
}
