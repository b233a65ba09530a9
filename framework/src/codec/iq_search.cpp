// ggml's neighbour maps (ggml-quants.c, iq2xs_init_impl and iq3xs_init_impl), in its order: each
// off-grid point lists every grid point within its nwant smallest squared distances, sorted by
// (distance, index) as ggml's qsort with iq2_compare_func / iq3_compare_func sorts them, so the
// lists, and so the encoders' ties, are ggml's.

#include "codec/iq_search.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

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
    s.value_at.assign(map_size, 0);
    for (size_t i = 0; i < codes.size(); ++i) {
        Packed packed = 0;
        for (int k = 0; k < Search::kDim; ++k) packed |= Packed(uint8_t(value_of<Search>(codes[i], k))) << 8 * k;
        s.grid[i] = packed;
        s.map[codes[i]] = int(i);  // the code is the point's own values
    }
    // Per off-grid point, the grid points at its nwant smallest squared distances in (distance,
    // index) order — ggml sorts every grid point; distances are small integers, so a pass per
    // distance over the points in index order gives the same lists.
    std::vector<int> dist2(codes.size());
    std::vector<int> point_values(codes.size() * Search::kDim);  // by dimension, for the distance loop
    for (size_t j = 0; j < codes.size(); ++j)
        for (int k = 0; k < Search::kDim; ++k) point_values[k * codes.size() + j] = Search::value(s.grid[j], k);
    constexpr int kMaxDistance = Search::kDim * (2 << Search::kBits) * (2 << Search::kBits);
    std::vector<char> present(kMaxDistance + 1);
    for (uint32_t u = 0; u < map_size; ++u) {
        if (s.map[u] >= 0) continue;
        std::fill(dist2.begin(), dist2.end(), 0);
        for (int k = 0; k < Search::kDim; ++k) {
            const int at = value_of<Search>(u, k);
            const int* v = point_values.data() + k * codes.size();
            for (size_t j = 0; j < codes.size(); ++j) dist2[j] += (v[j] - at) * (v[j] - at);
        }
        std::fill(present.begin(), present.end(), 0);
        for (int d : dist2) present[size_t(d)] = 1;
        s.map[u] = -int(s.neighbours.size() + 1);
        const size_t count_at = s.neighbours.size();
        s.neighbours.push_back(0);
        int nhave = 0;
        for (int d = 0; d <= kMaxDistance && nhave < nwant; ++d) {
            if (!present[size_t(d)]) continue;
            ++nhave;
            for (size_t j = 0; j < codes.size(); ++j)
                if (dist2[j] == d) s.neighbours.push_back(uint16_t(j));
        }
        const size_t count = s.neighbours.size() - count_at - 1;
        if (count > kMaxNeighbours) throw std::logic_error("iq_search: a neighbour list longer than kMaxNeighbours");
        s.neighbours[count_at] = uint16_t(count);
        const size_t padded = Search::padded(count);
        s.value_at[u] = uint32_t(s.values.size());
        s.values.resize(s.values.size() + padded * Search::kDim, std::numeric_limits<float>::infinity());
        float* v = s.values.data() + s.value_at[u];
        for (size_t j = 0; j < count; ++j)
            for (int k = 0; k < Search::kDim; ++k) v[size_t(k) * padded + j] = float(Search::value(s.grid[s.neighbours[count_at + 1 + j]], k));
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
