// ggml's neighbour maps (ggml-quants.c, iq3xs_init_impl), in its order: each off-grid point lists
// every grid point within its nwant smallest squared distances (IQ3_XXS 2, IQ3_S 3), sorted by
// (distance, index) as ggml's qsort with iq3_compare_func sorts them, so the lists and so the
// encoders' ties are ggml's.

#include "codec/iq_search.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "codec/iq_grids.hpp"

namespace qframe::codec {
namespace {

constexpr int kCubeCodes = 4096;  // 4 values of 3 bits

// Point k of code u: value 2l+1 for l = (u >> 3k) & 7.
int8_t value_of(int code, int k) { return int8_t(2 * ((code >> 3 * k) & 7) + 1); }

Iq3Search build_iq3(int grid_size) {
    const std::span<const uint16_t> codes = grid_size == 256 ? std::span<const uint16_t>(kKgrid256) : std::span<const uint16_t>(kKgrid512);
    const int nwant = grid_size == 256 ? 2 : 3;
    Iq3Search s;
    s.grid.resize(size_t(grid_size));
    s.map.assign(kCubeCodes, -1);
    for (int i = 0; i < grid_size; ++i) {
        uint32_t packed = 0;
        for (int k = 0; k < 4; ++k) packed |= uint32_t(uint8_t(value_of(codes[size_t(i)], k))) << 8 * k;
        s.grid[size_t(i)] = packed;
        s.map[codes[size_t(i)]] = i;  // the code is the point's own 3-bit values
    }
    std::vector<std::pair<int, int>> dist2(static_cast<size_t>(grid_size));  // (squared distance, grid index)
    for (int u = 0; u < kCubeCodes; ++u) {
        if (s.map[size_t(u)] >= 0) continue;
        for (int j = 0; j < grid_size; ++j) {
            int d2 = 0;
            for (int k = 0; k < 4; ++k) {
                const int diff = int8_t(s.grid[size_t(j)] >> 8 * k) - value_of(u, k);
                d2 += diff * diff;
            }
            dist2[size_t(j)] = {d2, j};
        }
        std::sort(dist2.begin(), dist2.end());
        s.map[size_t(u)] = -int(s.neighbours.size() + 1);
        const size_t count_at = s.neighbours.size();
        s.neighbours.push_back(0);
        int d2 = dist2[0].first, nhave = 1;
        for (const auto& [d, j] : dist2) {
            if (d > d2) {
                if (nhave == nwant) break;
                d2 = d;
                ++nhave;
            }
            s.neighbours.push_back(uint16_t(j));
        }
        s.neighbours[count_at] = uint16_t(s.neighbours.size() - count_at - 1);
    }
    return s;
}

}  // namespace

const Iq3Search& iq3_search(int grid_size) {
    if (grid_size == 256) {
        static const Iq3Search s = build_iq3(256);
        return s;
    }
    if (grid_size == 512) {
        static const Iq3Search s = build_iq3(512);
        return s;
    }
    throw std::logic_error("iq3_search: grid size must be 256 or 512");
}

}  // namespace qframe::codec
