// Single-thread throughput of every encoder and decoder in qframe/codec.hpp, in MB/s of F32
// (4 bytes per value, 1 MB = 10^6 bytes) over 64 MiB of F32 input (16 Mi values).
//
//   bench_codecs [--benchmark_filter=encode/Q4_K] [--benchmark_repetitions=3]
//
// The input is Gaussian noise with a different scale per 256 values, roughly what model weights
// look like; the quantizers' search loops do not depend much on the data anyway.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include "qframe/codec.hpp"
#include "qframe/types.hpp"

namespace {

constexpr size_t kValues = size_t(64) << 20 >> 2;  // 64 MiB of F32

const std::vector<float>& input() {
    static const std::vector<float> x = [] {
        std::vector<float> v(kValues);
        std::mt19937 rng(1);
        std::normal_distribution<float> dist(0.0f, 1.0f);
        for (size_t i = 0; i < v.size(); ++i) v[i] = dist(rng) * std::ldexp(1.0f, int(i / 256 % 16) - 12);
        return v;
    }();
    return x;
}

// "F32_MB=…/s": megabytes (10^6) of F32 per second of CPU time (the codecs are single-threaded,
// and CPU time is less disturbed by other load than wall time), read by encoders and written by
// decoders.
void report(benchmark::State& state) {
    state.counters["F32_MB"] = benchmark::Counter(double(state.iterations()) * double(kValues * sizeof(float)) / 1e6,
                                                  benchmark::Counter::kIsRate);
}

void encode_bench(benchmark::State& state, qframe::TensorType type) {
    const auto& x = input();
    std::vector<std::byte> out(*qframe::byte_size(qframe::type_info(type), x.size()));
    for (auto _ : state) {
        qframe::encode(type, x, out);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    report(state);
}

void decode_bench(benchmark::State& state, qframe::TensorType type) {
    const auto& x = input();
    std::vector<std::byte> bytes(*qframe::byte_size(qframe::type_info(type), x.size()));
    qframe::encode(type, x, bytes);  // realistic encoded data
    std::vector<float> y(x.size());
    for (auto _ : state) {
        qframe::decode(type, bytes, y);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    report(state);
}

const int kRegistered = [] {
    for (const qframe::TypeInfo& t : qframe::all_types()) {
        const std::string name(t.name);
        if (qframe::can_encode(t.type))
            benchmark::RegisterBenchmark(("encode/" + name).c_str(), encode_bench, t.type)
                ->Unit(benchmark::kMillisecond);
        if (qframe::can_decode(t.type) && qframe::can_encode(t.type))
            benchmark::RegisterBenchmark(("decode/" + name).c_str(), decode_bench, t.type)
                ->Unit(benchmark::kMillisecond);
    }
    return 0;
}();

}  // namespace

BENCHMARK_MAIN();
