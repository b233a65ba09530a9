#include "pipeline/stream_plan.hpp"

#include <algorithm>

#include "gguf/layout.hpp"

namespace qframe {

std::vector<StreamUnit> stream_units(std::span<const StreamedTensor> tensors, uint64_t alignment) {
    std::vector<StreamUnit> units;
    for (size_t i = 0; i < tensors.size(); ++i) {
        if (!units.empty() && !tensors[i].quantized && !tensors[units.back().last].quantized) {
            const StreamedTensor &a = tensors[units.back().last], &b = tensors[i];
            if (a.in_input && b.in_input && b.in_input == a.in_input + gguf::align_up(a.n_bytes, alignment)) {
                units.back().last = i;
                continue;
            }
        }
        units.push_back({i, i});
    }
    return units;
}

std::vector<size_t> work_order(std::span<const StreamUnit> units, std::span<const StreamedTensor> tensors, unsigned threads) {
    const auto work = [&](size_t u) { return tensors[units[u].first].quantized ? tensors[units[u].first].n_values : 0; };
    std::vector<size_t> first, rest;
    uint64_t after = 0;  // the work of the units after u
    for (size_t u = units.size(); u-- > 0;) {
        if (threads > 1 && work(u) * (threads - 1) > after) first.push_back(u);
        else rest.push_back(u);
        after += work(u);
    }
    // The largest first among those brought forward, then the others in file order.
    std::reverse(first.begin(), first.end());
    std::reverse(rest.begin(), rest.end());
    std::stable_sort(first.begin(), first.end(), [&](size_t a, size_t b) { return work(a) > work(b); });
    first.insert(first.end(), rest.begin(), rest.end());
    return first;
}

}  // namespace qframe
