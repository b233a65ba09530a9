// libFuzzer target: arbitrary bytes as a finished study's results.jsonl (what qframe plan reads
// besides the study file and the model), planned at a budget halfway between the smallest and
// the largest file the choices reach, under each objective, and written out as a recipe and as a
// tensor-type file. The study (tests/fuzz/plan_study.yaml) is fixed, on the micro model.
// qframe::Error is the answer to bad results; any other exception, a sanitizer report, a crash or
// a plan over its budget is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz_support.hpp"
#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "qframe/plan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const qframe::StageCatalog& catalog = qframe::fuzz::built_in_stages();
    static const qframe::fuzz::Scratch scratch("plan_study.yaml");
    static const qframe::GgufFile model = qframe::GgufFile::open(scratch.model());
    scratch.write("results.jsonl", data, size);
    for (const char* objective : {"kld_mean", "kld_p99", "dppl"}) {
        try {
            qframe::PlanRequest request;
            request.study_dir = scratch.dir();
            request.objective = objective;
            const qframe::Planner planner(request, catalog);
            const auto output = scratch.dir() / "plan.gguf";
            const uint64_t budget = planner.smallest_plan_bytes(output) + (planner.largest() - planner.smallest()) / 2;
            const auto plan = planner.plan(budget, output);
            if (plan.file_bytes > budget) {
                std::fprintf(stderr, "fuzz_plan: a plan of %llu bytes for a budget of %llu\n",
                             static_cast<unsigned long long>(plan.file_bytes), static_cast<unsigned long long>(budget));
                std::abort();
            }
            (void)qframe::plan_recipe(plan, output);
            (void)qframe::plan_tensor_types(plan, model);
        } catch (const qframe::Error&) {
        }
    }
    return 0;
}
