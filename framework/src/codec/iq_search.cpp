// ggml's neighbour maps (ggml-quants.c, iq2xs_init_impl and iq3xs_init_impl), in its order: each
// off-grid point lists every grid point within its nwant smallest squared distances, sorted by
// (distance, index) as ggml's qsort with iq2_compare_func / iq3_compare_func sorts them, so the
// lists, and so the encoders' ties, are ggml's.

#include "codec/iq_search.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "codec/iq_grids.hpp"

namespace qframe::codec {
namespace {

// Value k of code u: 2l+1 for l = (u >> Bits·k) & (2^Bits - 1).
template <class Search>
int8_t value_of(uint32_t code, int k) {
    return int8_t(2 * ((code >> Search::kBits * k) & ((1u << Search::kBits) - 1)) + 1);
}

// `codes`: ggml's kgrid table, the grid points by their codes; `map_size`: how many codes ggml
// maps (every code below it gets an entry); `nwant`: how many distinct distances a list spans.
template <class Search>
Search build(std::span<const uint16_t> codes, uint32_t map_size, int nwant) {
    using Packed = decltype(Search::grid)::value_type;
    Search s;
    s.grid.resize(codes.size());
    s.map.assign(map_size, -1);
    for (size_t i = 0; i < codes.size(); ++i) {
        Packed packed = 0;
        for (int k = 0; k < Search::kDim; ++k) packed |= Packed(uint8_t(value_of<Search>(codes[i], k))) << 8 * k;
        s.grid[i] = packed;
        s.map[codes[i]] = int(i);  // the code is the point's own values
    }
    std::vector<std::pair<int, int>> dist2(codes.size());  // (squared distance, grid index)
    for (uint32_t u = 0; u < map_size; ++u) {
        if (s.map[u] >= 0) continue;
        for (size_t j = 0; j < codes.size(); ++j) {
            int d2 = 0;
            for (int k = 0; k < Search::kDim; ++k) {
                const int diff = Search::value(s.grid[j], k) - value_of<Search>(u, k);
                d2 += diff * diff;
            }
            dist2[j] = {d2, int(j)};
        }
        std::sort(dist2.begin(), dist2.end());
        s.map[u] = -int(s.neighbours.size() + 1);
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
        static const Iq3Search s = build<Iq3Search>(kKgrid256, 4096, 2);
        return s;
    }
    if (grid_size == 512) {
        static const Iq3Search s = build<Iq3Search>(kKgrid512, 4096, 3);
        return s;
    }
    throw std::logic_error("iq3_search: grid size must be 256 or 512");
}

const Iq2Search& iq2_search(TensorType type) {
    constexpr uint32_t kMapSize = 43692;  // ggml's kmap_size: codes up to all-2 (0xAAAA) and a little
    switch (type) {
        case TensorType::IQ2_XXS: {
            static const Iq2Search s = build<Iq2Search>(kKgrid2bit256, kMapSize, 2);
            return s;
        }
        case TensorType::IQ2_XS: {
            static const Iq2Search s = build<Iq2Search>(kKgrid2bit512, kMapSize, 2);
            return s;
        }
        case TensorType::IQ2_S: {
            static const Iq2Search s = build<Iq2Search>(kKgrid2bit1024, kMapSize, 1);
            return s;
        }
        case TensorType::IQ1_S:
        case TensorType::IQ1_M: {
            static const Iq2Search s = build<Iq2Search>(kKgrid1bit2048, kMapSize, 3);
            return s;
        }
        default: throw std::logic_error("iq2_search: not an IQ2 or IQ1 type");
    }
}

}  // namespace qframe::codec
