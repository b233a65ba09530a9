// Private to the codecs: what the IQ encoders search — a lattice grid as packed points and, for
// every point of the enclosing cube that is not on the grid, its nearest grid points. ggml builds
// these at run time (iq3xs_init_impl) into globals behind ggml_quantize_init; here each is built
// once, on first use, in a function-local static (thread-safe, nothing to free).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "qframe/export.hpp"

namespace qframe::codec {

// A 4-dimensional grid of odd values 1, 3 … 15 (IQ3_XXS: 256 points, IQ3_S: 512).
struct Iq3Search {
    std::vector<uint32_t> grid;        // point i: 4 int8 values 2l+1, value k in byte k
    std::vector<int> map;              // by the point's 3-bit codes (l_k << 3k): its grid index,
                                       // or -(n + 1) with neighbours[n] the count of its list
    std::vector<uint16_t> neighbours;  // per off-grid point: count, then grid indices, nearest first

    // The neighbour list of off-grid code u (map[u] < 0): count first.
    std::span<const uint16_t> neighbours_of(uint16_t u) const {
        const uint16_t* start = neighbours.data() + (-map[u] - 1);
        return {start, size_t(start[0]) + 1};
    }
};

// grid_size 256 (IQ3_XXS) or 512 (IQ3_S). Exported for the tests, which check the grids.
QFRAME_API const Iq3Search& iq3_search(int grid_size);

}  // namespace qframe::codec
