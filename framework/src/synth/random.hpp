// A small, portable, seedable generator: the standard distributions are not specified
// bit-for-bit across library versions, and synthesized files must be identical everywhere.
#pragma once

#include <cstdint>
#include <string_view>

namespace qframe::synth {

class SplitMix64 {
public:
    explicit SplitMix64(uint64_t seed) : state_(seed) {}

    uint64_t next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, 1).
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    // Approximately standard normal: the sum of four uniforms, centred and scaled to unit
    // variance. Plain arithmetic (no libm), so every platform produces the same bits.
    float normal() {
        const uint64_t a = next(), b = next();
        const double sum = static_cast<double>(a >> 32) + static_cast<double>(a & 0xffffffffu) +
                           static_cast<double>(b >> 32) + static_cast<double>(b & 0xffffffffu);
        return static_cast<float>((sum * 0x1.0p-32 - 2.0) * 1.7320508075688772);
    }

private:
    uint64_t state_;
};

// Stable per-tensor stream: FNV-1a of the name mixed with the model seed.
inline uint64_t stream_seed(uint64_t seed, std::string_view name) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ull;
    return h ^ (seed * 0x9E3779B97F4A7C15ull);
}

}  // namespace qframe::synth
