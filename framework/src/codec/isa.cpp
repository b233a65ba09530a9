// Chooses the codecs' kernel variants for the CPU at hand (as engine/kernels.cpp does for the
// engine's).

#include "codec/isa.hpp"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include <cstdlib>
#include <string>
#include <string_view>

#include "qframe/error.hpp"

namespace qframe::codec {
namespace {

// Fields in the order of struct Variants.
#define QFRAME_CODEC_VARIANTS(isa, suffix)                                                   \
    Variants{isa,                  #suffix,               decode_f16_##suffix,  decode_bf16_##suffix, \
             encode_f16_##suffix,  encode_bf16_##suffix,  encode_q8_0_##suffix, encode_q2_k_##suffix, \
             encode_q4_k_##suffix, encode_q5_k_##suffix,  encode_q6_k_##suffix}
constexpr Variants kGeneric = QFRAME_CODEC_VARIANTS(Isa::generic, generic);
#if defined(__x86_64__)
constexpr Variants kAvx2 = QFRAME_CODEC_VARIANTS(Isa::avx2, avx2);
constexpr Variants kAvx512 = QFRAME_CODEC_VARIANTS(Isa::avx512, avx512);
#endif
#undef QFRAME_CODEC_VARIANTS

#if defined(__x86_64__)
// CPUID leaf 1, ECX bit 29 (clang's __builtin_cpu_supports does not know "f16c"); the OS side
// is AVX's, which the avx2 check covers.
bool has_f16c() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
}
#endif

bool runs(Isa isa) {
#if defined(__x86_64__)
    __builtin_cpu_init();  // harmless when already done; needed if we run before constructors
    switch (isa) {
        case Isa::generic: return true;
        // libgcc's checks include the OS's support (XCR0) for the AVX and AVX-512 registers.
        case Isa::avx2: return __builtin_cpu_supports("avx2") && has_f16c();
        case Isa::avx512: return __builtin_cpu_supports("avx512f");
    }
    return false;
#else
    return isa == Isa::generic;
#endif
}

const Variants& choose() {
    if (const char* forced = std::getenv("QFRAME_CODEC_ISA"); forced && *forced) {
        for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512})
            if (const Variants* v = variants(isa); v && std::string_view(v->name) == forced) return *v;
        throw Error(std::string("QFRAME_CODEC_ISA=") + forced +
                    ": not an instruction set this CPU runs (generic, avx2 or avx512)");
    }
    for (Isa isa : {Isa::avx512, Isa::avx2})
        if (const Variants* v = variants(isa)) return *v;
    return kGeneric;
}

}  // namespace

const Variants* variants(Isa isa) {
    if (!runs(isa)) return nullptr;
    switch (isa) {
        case Isa::generic: return &kGeneric;
#if defined(__x86_64__)
        case Isa::avx2: return &kAvx2;
        case Isa::avx512: return &kAvx512;
#else
        default: break;
#endif
    }
    return nullptr;
}

const Variants& chosen_variants() {
    static const Variants& chosen = choose();
    return chosen;
}

}  // namespace qframe::codec
