#include "solver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "qframe/error.hpp"

namespace qframe::plan {
namespace {

struct State {
    uint64_t bytes;
    double cost;
    uint32_t parent;  // index in the previous unit's frontier
    uint32_t option;
};

}  // namespace

uint64_t smallest_bytes(const std::vector<std::vector<Option>>& units) {
    uint64_t sum = 0;
    for (const auto& u : units) sum += std::min_element(u.begin(), u.end(), [](auto& a, auto& b) { return a.bytes < b.bytes; })->bytes;
    return sum;
}

uint64_t largest_bytes(const std::vector<std::vector<Option>>& units) {
    uint64_t sum = 0;
    for (const auto& u : units) sum += std::max_element(u.begin(), u.end(), [](auto& a, auto& b) { return a.bytes < b.bytes; })->bytes;
    return sum;
}

std::optional<Solution> solve(const std::vector<std::vector<Option>>& units, uint64_t budget, size_t max_states) {
    for (const auto& u : units)
        if (u.empty()) throw Error("a plan unit without options");
    if (smallest_bytes(units) > budget) return std::nullopt;
    // min_after[i]: the fewest bytes units i… can take; a state that cannot fit them is dropped.
    std::vector<uint64_t> min_after(units.size() + 1, 0);
    for (size_t i = units.size(); i-- > 0;)
        min_after[i] = min_after[i + 1] + std::min_element(units[i].begin(), units[i].end(), [](auto& a, auto& b) { return a.bytes < b.bytes; })->bytes;

    std::vector<std::vector<State>> frontiers;
    frontiers.push_back({{0, 0.0, 0, 0}});
    std::vector<State> next;
    for (size_t i = 0; i < units.size(); ++i) {
        const auto& previous = frontiers.back();
        next.clear();
        for (uint32_t p = 0; p < previous.size(); ++p)
            for (uint32_t o = 0; o < units[i].size(); ++o) {
                const uint64_t bytes = previous[p].bytes + units[i][o].bytes;
                if (bytes + min_after[i + 1] <= budget) next.push_back({bytes, previous[p].cost + units[i][o].cost, p, o});
            }
        // Pareto: by bytes, then cost; keep a state only if it costs less than every smaller one
        // (by more than rounding: sums of the same costs in another order are a tie).
        std::sort(next.begin(), next.end(), [](const State& a, const State& b) { return a.bytes != b.bytes ? a.bytes < b.bytes : a.cost < b.cost; });
        std::vector<State> kept;
        double best = 0;
        for (const State& s : next)
            if (kept.empty() || s.cost < best - 1e-12 * std::max(1.0, std::abs(best))) {
                kept.push_back(s);
                best = s.cost;
            }
        if (kept.size() > max_states)
            throw Error(fmt::format("the plan's search grew past {} states at unit {} of {}; restrict the types or tie groups", max_states, i + 1, units.size()));
        frontiers.push_back(std::move(kept));
    }
    // The last frontier's cheapest state is its last (costs fall as bytes grow).
    const auto& last = frontiers.back();
    Solution s;
    uint32_t at = static_cast<uint32_t>(last.size() - 1);
    s.bytes = last[at].bytes;
    s.cost = last[at].cost;
    s.choice.resize(units.size());
    for (size_t i = units.size(); i > 0; --i) {
        const State& st = frontiers[i][at];
        s.choice[i - 1] = st.option;
        at = st.parent;
    }
    return s;
}

}  // namespace qframe::plan
