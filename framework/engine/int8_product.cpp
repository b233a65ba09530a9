// The quantized-domain products' portable part: quantizing the activations as ggml does, and the
// choice of kernel (int8_product_avx512.cpp holds the AVX-512 VNNI one, int8_product_avx2.cpp the
// AVX2 one).
#include "int8_product.hpp"

#include <cstdlib>
#include <string_view>

#include "qframe/parallel.hpp"

namespace qframe::engine::int8 {

namespace {

// The kernels this CPU runs: AVX-512 VNNI, else AVX2 (with FMA), else none (the F32 path).
// QFRAME_ENGINE_ISA=avx2|generic chooses as for the F32 kernels (tests compare the paths).
enum class Isa { none, avx2, avx512_vnni };

Isa choose_isa() {
#if defined(__x86_64__)
    const bool vnni = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const char* forced = std::getenv("QFRAME_ENGINE_ISA");
    const std::string_view want = forced ? forced : "";
    if (want == "generic") return Isa::none;
    if (want == "avx2") return avx2 ? Isa::avx2 : Isa::none;
    return vnni ? Isa::avx512_vnni : avx2 ? Isa::avx2 : Isa::none;
#else
    return Isa::none;
#endif
}

Isa isa() {
    static const Isa chosen = choose_isa();
    return chosen;
}

}  // namespace

bool supported(TensorType type) { return isa() != Isa::none && type_row(type); }

bool supported(TensorType type, size_t nt) {
    const TypeRow* row = type_row(type);
    return isa() != Isa::none && row && ((isa() == Isa::avx512_vnni && row->rows) || nt >= 32);
}

void quantize(ActivationType type, const float* x, size_t ldx, size_t nt, size_t n, unsigned threads, Activations& out) {
    const size_t block = activation_block(type);
    out.type = type;
    out.n = n;
    out.nt = nt;
    out.q.resize(nt * n);
    out.d.resize(nt * (n / block));
    out.sums.resize(nt * (n / 16));
    const bool blocks32 = type != ActivationType::Q8_K;
    out.sums4.resize(nt * (n / 4));
    out.s.resize(type == ActivationType::Q8_1 ? nt * (n / 32) : 0);
    parallel_for(nt, threads, [&](size_t t) {
        int8_t* q = out.q.data() + t * n;
        const float* xt = x + t * ldx;
        for (size_t b = 0; b < n / block; ++b)
            out.d[t * (n / block) + b] = blocks32 ? quantize_q8_0_block(xt + b * block, q + b * block) : quantize_q8_K_block(xt + b * block, q + b * block);
        if (type == ActivationType::Q8_1)
            for (size_t b = 0; b < n / 32; ++b) out.s[t * (n / 32) + b] = q8_1_block_sum(xt + b * 32, q + b * 32);
        for (size_t g = 0; g < n / 16; ++g) {
            int sum = 0;
            for (size_t i = 0; i < 16; ++i) sum += q[g * 16 + i];
            out.sums[t * (n / 16) + g] = static_cast<int16_t>(sum);
        }
        for (size_t g = 0; g < n / 4; ++g) out.sums4[t * (n / 4) + g] = q[4 * g] + q[4 * g + 1] + q[4 * g + 2] + q[4 * g + 3];
    });
}

ActivationData view(const Activations& x) { return {x.q.data(), x.d.data(), x.sums.data(), x.sums4.data(), x.s.data(), x.n, x.nt}; }

PanelData view(const Panel& p) {
    return {p.sums, p.codes, p.mins, p.w.data(), p.d.data(), p.dmin.data(), p.scale.data(), p.scale_pairs.data(), p.min.data(), p.offset, p.post, p.delta.data()};
}

// The row kernels exist for AVX-512 VNNI; with AVX2 every batch builds panels.
size_t small_batch(TensorType type) {
#if defined(__x86_64__)
    const TypeRow* row = type_row(type);
    return isa() == Isa::avx512_vnni && row && row->rows ? rows_max_tokens() : 0;
#else
    (void)type;
    return 0;
#endif
}

void product_rows(TensorType type, const std::byte* rows, size_t row_bytes, size_t nr, const Activations& x, float* y, size_t ldy) {
#if defined(__x86_64__)
    rows_avx512_vnni(type, rows, row_bytes, nr, view(x), y, ldy);
#else
    (void)type, (void)rows, (void)row_bytes, (void)nr, (void)x, (void)y, (void)ldy;
#endif
}

void product(const Panel& panel, const Activations& x, size_t nr, float* y, size_t ldy) {
    const PanelData p = view(panel);
    const ActivationData a = view(x);
#if defined(__x86_64__)
    if (isa() == Isa::avx512_vnni) product_avx512_vnni(p, a, nr, y, ldy);
    else product_avx2(p, a, nr, y, ldy);
#else
    (void)p, (void)a, (void)nr, (void)y, (void)ldy;
#endif
}

}  // namespace qframe::engine::int8
