// Chooses the kernel set for the CPU at hand.
#include "kernels.hpp"

#include <cstdlib>
#include <string>

#include "qframe/error.hpp"

namespace qframe::engine::kernels {
namespace {

bool runs(const Ops& ops) {
#if defined(__x86_64__)
    if (&ops == &ops_avx512) return __builtin_cpu_supports("avx512f");
    if (&ops == &ops_avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    return &ops == &ops_generic;
}

const Ops* candidates[] = {
#if defined(__x86_64__)
    &ops_avx512, &ops_avx2,
#endif
    &ops_generic,
};

const Ops& choose() {
    if (const char* forced = std::getenv("QFRAME_ENGINE_ISA"); forced && *forced) {
        if (const Ops* ops = ops_by_name(forced)) return *ops;
        throw Error(std::string("QFRAME_ENGINE_ISA=") + forced + ": not an instruction set this CPU runs");
    }
    for (const Ops* ops : candidates)
        if (runs(*ops)) return *ops;
    return ops_generic;
}

}  // namespace

const Ops* ops_by_name(std::string_view name) {
    for (const Ops* ops : candidates)
        if (ops->name == name && runs(*ops)) return ops;
    return nullptr;
}

const Ops& ops() {
    static const Ops& chosen = choose();
    return chosen;
}

}  // namespace qframe::engine::kernels
