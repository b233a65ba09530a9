// Private to the codecs: what the IQ encoders search — a lattice grid as packed points and, for
// every point of the enclosing cube that is not on the grid, its nearest grid points. ggml builds
// these at run time (iq2xs_init_impl, iq3xs_init_impl) into globals behind ggml_quantize_init;
// here each is built once, on first use, in a function-local static (thread-safe, nothing to free).
#pragma once

#include <cfloat>
#include <cstdint>
#include <span>
#include <vector>

#include "qframe/export.hpp"
#include "qframe/types.hpp"

namespace qframe::codec {

// The longest neighbour list of any grid (build() checks it).
inline constexpr size_t kMaxNeighbours = 512;
// The distance search runs over a list kListLanes entries at a time; lists are padded to a multiple.
inline constexpr size_t kListLanes = 8;

// A grid of `Dim` odd values 2l+1 per point, l of `Bits` bits.
template <class Packed, int Dim, int Bits>
struct LatticeSearch {
    static constexpr int kDim = Dim, kBits = Bits;
    std::vector<Packed> grid;          // point i: Dim int8 values 2l+1, value k in byte k
    std::vector<int> map;              // by the point's codes (l_k << Bits·k): its grid index,
                                       // or -(n + 1) with neighbours[n] the count of its list
    std::vector<uint16_t> neighbours;  // per off-grid point: count, then grid indices, nearest first
    // The listed points' values as floats, by dimension, each list padded to a multiple of kListLanes
    // entries with +inf (never nearer than FLT_MAX): value k of entry j of a list padded to P
    // entries is at values[value_at[u] + k·P + j].
    std::vector<float> values;
    std::vector<uint32_t> value_at;  // by code, for off-grid codes

    // The neighbour list of off-grid code u (map[u] < 0): count first.
    std::span<const uint16_t> neighbours_of(uint32_t u) const {
        const uint16_t* start = neighbours.data() + (-map[u] - 1);
        return {start, size_t(start[0]) + 1};
    }
    const float* values_of(uint32_t u) const { return values.data() + value_at[u]; }
    static size_t padded(size_t count) { return (count + kListLanes - 1) / kListLanes * kListLanes; }
    static int8_t value(Packed point, int k) { return int8_t(point >> 8 * k); }
};

using Iq3Search = LatticeSearch<uint32_t, 4, 3>;  // 4 values 1 … 15
using Iq2Search = LatticeSearch<uint64_t, 8, 2>;  // 8 values 1 … 7 (IQ1: 1 … 5)

// The first minimum of a list's distances, kListLanes entries at a time: each lane keeps its own
// first minimum (strict <), and entry() compares the lanes' minima by value, then by entry — the
// entry a scan of the whole list in order keeps (the first of equals); −1 where none is below
// FLT_MAX (an +inf or NaN distance never is).
struct ListMinimum {
    using Lanes = float __attribute__((vector_size(kListLanes * 4)));
    using Ints = int32_t __attribute__((vector_size(kListLanes * 4)));
    Lanes best = Lanes{} + FLT_MAX;
    Ints best_at = Ints{} - 1;

    [[gnu::always_inline]] void update(const Lanes& d2, const Ints& at) {
        const auto nearer = d2 < best;
        best = nearer ? d2 : best;
        best_at = nearer ? at : best_at;
    }
    [[gnu::always_inline]] int entry() const {
        float min = FLT_MAX;
        int index = -1;
        for (size_t l = 0; l < kListLanes; ++l) {
            const bool take = best_at[l] >= 0 && (best[l] < min || (best[l] == min && best_at[l] < index));
            min = take ? best[l] : min;
            index = take ? best_at[l] : index;
        }
        return index;
    }
};

// The entry of a list (v: values_of, padded entries) nearest to x in weighted distance at
// `scale`, Σ_k weight[k]·(scale·v_k − x[k])² with each term and sum rounded in ggml's order
// (iq2_find_best_neighbour's scalar loop), the first of equals as its scan keeps; −1 where none
// is nearer than FLT_MAX. The lanes run over the entries, so every distance keeps its roundings
// (no FMA: -ffp-contract=off).
template <int Dim>
[[gnu::always_inline]] inline int nearest_listed(const float* v, size_t padded, const float* x, const float* weight, float scale) {
    ListMinimum minimum;
    ListMinimum::Ints at;
    for (size_t l = 0; l < kListLanes; ++l) at[l] = int32_t(l);
    for (size_t j = 0; j < padded; j += kListLanes, at += int32_t(kListLanes)) {
        ListMinimum::Lanes d2 = ListMinimum::Lanes{} + 0.0f;
        for (int k = 0; k < Dim; ++k) {
            ListMinimum::Lanes vk;
            __builtin_memcpy(&vk, v + size_t(k) * padded + j, sizeof vk);
            const ListMinimum::Lanes diff = scale * vk - x[k];
            d2 += weight[k] * diff * diff;
        }
        minimum.update(d2, at);
    }
    return minimum.entry();
}

// grid_size 256 (IQ3_XXS) or 512 (IQ3_S). Exported for the tests, which check the grids.
QFRAME_API const Iq3Search& iq3_search(int grid_size);
// The grid of IQ2_XXS (256 points), IQ2_XS (512), IQ2_S (1024) or IQ1_S and IQ1_M (2048).
QFRAME_API const Iq2Search& iq2_search(TensorType type);

}  // namespace qframe::codec
