// The planner's optimisation: pick one option per unit (a group of tensors and the type it gets)
// so that the summed cost is least while the summed bytes stay within a budget — the
// multiple-choice knapsack. Solved exactly: dynamic programming over the Pareto frontier of
// (bytes, cost) of the units seen so far, keeping only states no other state beats in both and
// that can still fit the budget.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace qframe::plan {

struct Option {
    uint64_t bytes = 0;
    double cost = 0;
};

struct Solution {
    std::vector<size_t> choice;  // per unit, the index of its option
    uint64_t bytes = 0;
    double cost = 0;
};

// The least-cost choice within `budget` bytes (ties: fewer bytes); nullopt when even the smallest
// options exceed it. Throws qframe::Error when the frontier outgrows `max_states` (memory guard).
std::optional<Solution> solve(const std::vector<std::vector<Option>>& units, uint64_t budget, size_t max_states = size_t(1) << 24);

// The bytes of the smallest and the largest choices.
uint64_t smallest_bytes(const std::vector<std::vector<Option>>& units);
uint64_t largest_bytes(const std::vector<std::vector<Option>>& units);

}  // namespace qframe::plan
