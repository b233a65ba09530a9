// The planner's optimisation: pick one option per unit (a group of tensors and the type it gets)
// so that the summed cost is least while the summed bytes stay within a budget — the
// multiple-choice knapsack — and, where bounded, the summed seconds (a pass's prompt and
// generation time) within theirs. Solved exactly: dynamic programming over the Pareto frontier of
// (bytes, cost[, seconds]) of the units seen so far, keeping only states no other state beats in
// every one and that can still fit the budgets.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace qframe::plan {

// The time kinds a plan can bound: a prompt's, a generated token's.
inline constexpr size_t kTimeKinds = 2;
using Seconds = std::array<double, kTimeKinds>;

struct Option {
    uint64_t bytes = 0;
    double cost = 0;
    Seconds seconds{};  // what the option adds to a pass (only read where a time budget is finite)
};

struct Solution {
    std::vector<size_t> choice;  // per unit, the index of its option
    uint64_t bytes = 0;
    double cost = 0;
    Seconds seconds{};
};

inline constexpr Seconds kUnbounded{std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};

// The least-cost choice within `budget` bytes and `time_budget` seconds of each kind (ties: fewer
// bytes); nullopt when no choice fits. Throws qframe::Error when the frontier outgrows
// `max_states` (memory guard).
std::optional<Solution> solve(const std::vector<std::vector<Option>>& units, uint64_t budget, const Seconds& time_budget = kUnbounded,
                              size_t max_states = size_t(1) << 24);

// The bytes of the smallest and the largest choices.
uint64_t smallest_bytes(const std::vector<std::vector<Option>>& units);
uint64_t largest_bytes(const std::vector<std::vector<Option>>& units);

}  // namespace qframe::plan
