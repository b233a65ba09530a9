#include "solver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "qframe/error.hpp"

namespace qframe::plan {
namespace {

struct State {
    uint64_t bytes;
    double cost;
    uint32_t parent;  // index in the previous unit's frontier
    uint32_t option;
    Seconds seconds{};
};

// Sums of the same costs in another order are a tie, not an improvement.
bool less_by_more_than_rounding(double a, double b) { return a < b - 1e-12 * std::max(1.0, std::abs(b)); }

// Keeps the states of `next` no other beats in bytes, cost and every bounded time (sorted by
// bytes, then cost, an earlier state beats a later one that is no faster in any bounded kind).
std::vector<State> pareto(std::vector<State>& next, const std::array<bool, kTimeKinds>& bounded) {
    std::sort(next.begin(), next.end(), [](const State& a, const State& b) { return a.bytes != b.bytes ? a.bytes < b.bytes : a.cost < b.cost; });
    std::vector<State> kept;
    if (!bounded[0] && !bounded[1]) {
        // (bytes, cost) only: a state is kept when it costs less than every smaller one.
        double best = 0;
        for (const State& s : next)
            if (kept.empty() || less_by_more_than_rounding(s.cost, best)) {
                kept.push_back(s);
                best = s.cost;
            }
        return kept;
    }
    const size_t kinds = static_cast<size_t>(bounded[0]) + static_cast<size_t>(bounded[1]);
    if (kinds == 1) {
        // One bounded time: the kept states' (cost, time) staircase, time falling as cost grows;
        // a state is beaten when the step at its cost (within rounding) is no slower.
        const size_t t = bounded[0] ? 0 : 1;
        std::map<double, double> stairs;
        for (const State& s : next) {
            const double time = s.seconds[t];
            auto above = stairs.upper_bound(s.cost + 1e-12 * std::max(1.0, std::abs(s.cost)));
            if (above != stairs.begin() && std::prev(above)->second <= time) continue;
            kept.push_back(s);
            for (auto it = stairs.lower_bound(s.cost); it != stairs.end() && it->second >= time;) it = stairs.erase(it);
            stairs[s.cost] = time;
        }
        return kept;
    }
    // Both times bounded: each state against every kept one.
    for (const State& s : next) {
        const bool beaten = std::any_of(kept.begin(), kept.end(), [&](const State& k) {
            if (less_by_more_than_rounding(s.cost, k.cost)) return false;
            for (size_t t = 0; t < kTimeKinds; ++t)
                if (s.seconds[t] < k.seconds[t]) return false;
            return true;
        });
        if (!beaten) kept.push_back(s);
    }
    return kept;
}

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

std::optional<Solution> solve(const std::vector<std::vector<Option>>& units, uint64_t budget, const Seconds& time_budget, size_t max_states) {
    for (const auto& u : units)
        if (u.empty()) throw Error("a plan unit without options");
    if (smallest_bytes(units) > budget) return std::nullopt;
    std::array<bool, kTimeKinds> bounded{};
    for (size_t t = 0; t < kTimeKinds; ++t) bounded[t] = std::isfinite(time_budget[t]);
    // min_after[i]: the fewest bytes (and seconds of each kind) units i… can take; a state that
    // cannot fit them is dropped.
    std::vector<uint64_t> min_after(units.size() + 1, 0);
    std::vector<Seconds> min_seconds_after(units.size() + 1, Seconds{});
    for (size_t i = units.size(); i-- > 0;) {
        min_after[i] = min_after[i + 1] + std::min_element(units[i].begin(), units[i].end(), [](auto& a, auto& b) { return a.bytes < b.bytes; })->bytes;
        for (size_t t = 0; t < kTimeKinds; ++t)
            min_seconds_after[i][t] = min_seconds_after[i + 1][t] + std::min_element(units[i].begin(), units[i].end(), [t](auto& a, auto& b) {
                                                                        return a.seconds[t] < b.seconds[t];
                                                                    })->seconds[t];
    }
    const auto fits = [&](const State& s, size_t after) {
        if (s.bytes + min_after[after] > budget) return false;
        for (size_t t = 0; t < kTimeKinds; ++t)
            if (bounded[t] && s.seconds[t] + min_seconds_after[after][t] > time_budget[t]) return false;
        return true;
    };

    std::vector<std::vector<State>> frontiers;
    frontiers.push_back({{0, 0.0, 0, 0, {}}});
    if (!fits(frontiers.back().front(), 0)) return std::nullopt;
    std::vector<State> next;
    for (size_t i = 0; i < units.size(); ++i) {
        const auto& previous = frontiers.back();
        next.clear();
        for (uint32_t p = 0; p < previous.size(); ++p)
            for (uint32_t o = 0; o < units[i].size(); ++o) {
                State s{previous[p].bytes + units[i][o].bytes, previous[p].cost + units[i][o].cost, p, o, previous[p].seconds};
                for (size_t t = 0; t < kTimeKinds; ++t) s.seconds[t] += units[i][o].seconds[t];
                if (fits(s, i + 1)) next.push_back(s);
            }
        if (next.empty()) return std::nullopt;  // the time budgets: the per-kind least sums are no one choice's
        std::vector<State> kept = pareto(next, bounded);
        if (kept.size() > max_states)
            throw Error(fmt::format("the plan's search grew past {} states at unit {} of {}; restrict the types or tie groups", max_states, i + 1, units.size()));
        frontiers.push_back(std::move(kept));
    }
    // The last frontier's cheapest state (the first of the least cost: fewest bytes). Without a
    // time bound it is the last: costs fall as bytes grow.
    const auto& last = frontiers.back();
    Solution s;
    uint32_t at = 0;
    for (uint32_t k = 1; k < last.size(); ++k)
        if (less_by_more_than_rounding(last[k].cost, last[at].cost)) at = k;
    s.bytes = last[at].bytes;
    s.cost = last[at].cost;
    s.seconds = last[at].seconds;
    s.choice.resize(units.size());
    for (size_t i = units.size(); i > 0; --i) {
        const State& st = frontiers[i][at];
        s.choice[i - 1] = st.option;
        at = st.parent;
    }
    return s;
}

}  // namespace qframe::plan
