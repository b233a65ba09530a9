// libFuzzer target: arbitrary text as a study file (qframe sweep's and qframe plan's input) read
// and validated against the built-in plugins, then its groups and candidates laid out on the
// micro model beside it. Each input is written to study.yaml in a scratch folder that also holds
// that model (model.gguf) and a text (text.txt), so a study naming them gets past the file checks.
// qframe::Error is the answer to a bad study; any other exception, a sanitizer report or a crash
// is a finding.
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "fuzz_support.hpp"
#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "qframe/study.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const qframe::StageCatalog& catalog = qframe::fuzz::built_in_stages();
    static const qframe::fuzz::Scratch scratch;
    static const qframe::GgufFile model = qframe::GgufFile::open(scratch.model());
    const auto file = scratch.write("study.yaml", data, size);
    try {
        const auto study = qframe::load_study(file, catalog);
        if (std::filesystem::equivalent(study.input, scratch.model())) (void)qframe::plan_candidates(study, model);
    } catch (const qframe::Error&) {
    }
    return 0;
}
