// Private to the codecs: what the IQ encoders search — a lattice grid as packed points and, for
// every point of the enclosing cube that is not on the grid, its nearest grid points. ggml builds
// these at run time (iq2xs_init_impl, iq3xs_init_impl) into globals behind ggml_quantize_init;
// here each is built once, on first use, in a function-local static (thread-safe, nothing to free).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "qframe/export.hpp"
#include "qframe/types.hpp"

namespace qframe::codec {

// The longest neighbour list of any grid (build() checks it): the encoders' distances fit on the stack.
inline constexpr size_t kMaxNeighbours = 512;

// A grid of `Dim` odd values 2l+1 per point, l of `Bits` bits.
template <class Packed, int Dim, int Bits>
struct LatticeSearch {
    static constexpr int kDim = Dim, kBits = Bits;
    std::vector<Packed> grid;          // point i: Dim int8 values 2l+1, value k in byte k
    std::vector<int> map;              // by the point's codes (l_k << Bits·k): its grid index,
                                       // or -(n + 1) with neighbours[n] the count of its list
    std::vector<uint16_t> neighbours;  // per off-grid point: count, then grid indices, nearest first
    // The listed points' values as floats, by dimension: a list whose count is at neighbours[p]
    // has value k of its entry j at values[(p + 1)·Dim + k·count + j] (for the distances, which
    // then run over the entries in SIMD lanes).
    std::vector<float> values;

    // The neighbour list of off-grid code u (map[u] < 0): count first.
    std::span<const uint16_t> neighbours_of(uint32_t u) const {
        const uint16_t* start = neighbours.data() + (-map[u] - 1);
        return {start, size_t(start[0]) + 1};
    }
    const float* values_of(uint32_t u) const { return values.data() + size_t(-map[u]) * Dim; }
    static int8_t value(Packed point, int k) { return int8_t(point >> 8 * k); }
};

using Iq3Search = LatticeSearch<uint32_t, 4, 3>;  // 4 values 1 … 15
using Iq2Search = LatticeSearch<uint64_t, 8, 2>;  // 8 values 1 … 7 (IQ1: 1 … 5)

// d2[j] = Σ_k weight[k]·(scale·v_kj − x[k])² for the count entries of a list (v: values_of), each
// term and sum rounded in ggml's order (iq2_find_best_neighbour's scalar loop): the lanes run over
// the entries, so vectorising it keeps every d2[j]'s roundings (no FMA: -ffp-contract=off).
[[gnu::always_inline]] inline void weighted_distances(const float* v, size_t count, int dim, const float* x, const float* weight, float scale,
                                                      float* d2) {
    for (size_t j = 0; j < count; ++j) d2[j] = 0;
    for (int k = 0; k < dim; ++k) {
        const float xk = x[k], wk = weight[k];
        const float* vk = v + size_t(k) * count;
        for (size_t j = 0; j < count; ++j) {
            const float diff = scale * vk[j] - xk;
            d2[j] += wk * diff * diff;
        }
    }
}
// The same, one copy per instruction set (chosen when the library loads): for IQ2's and IQ1's long lists.
void neighbour_distances(const float* v, size_t count, int dim, const float* x, const float* weight, float scale, float* d2);

// grid_size 256 (IQ3_XXS) or 512 (IQ3_S). Exported for the tests, which check the grids.
QFRAME_API const Iq3Search& iq3_search(int grid_size);
// The grid of IQ2_XXS (256 points), IQ2_XS (512), IQ2_S (1024) or IQ1_S and IQ1_M (2048).
QFRAME_API const Iq2Search& iq2_search(TensorType type);

}  // namespace qframe::codec
