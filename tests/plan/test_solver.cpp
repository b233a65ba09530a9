// The plan's solver against brute force: every choice of small random instances, budgets from
// infeasible to unconstrained.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "plan/solver.hpp"

namespace {

using qframe::plan::Option;
using Units = std::vector<std::vector<Option>>;

// The least cost within the budget by trying every choice (ties: fewer bytes), or -1.
std::pair<double, uint64_t> brute_force(const Units& units, uint64_t budget) {
    std::vector<size_t> pick(units.size(), 0);
    double best = -1;
    uint64_t best_bytes = 0;
    while (true) {
        uint64_t bytes = 0;
        double cost = 0;
        for (size_t i = 0; i < units.size(); ++i) bytes += units[i][pick[i]].bytes, cost += units[i][pick[i]].cost;
        if (bytes <= budget && (best < 0 || cost < best - 1e-12 || (std::abs(cost - best) <= 1e-12 && bytes < best_bytes))) best = cost, best_bytes = bytes;
        size_t i = 0;
        while (i < units.size() && ++pick[i] == units[i].size()) pick[i++] = 0;
        if (i == units.size()) break;
    }
    return {best, best_bytes};
}

// Units shaped like a study's groups: bigger types cost less, with noise and some ties.
Units random_units(std::mt19937_64& rng, size_t n_units) {
    std::uniform_int_distribution<int> n_options(1, 5), size(1, 40);
    std::uniform_real_distribution<double> noise(0.0, 1.0);
    Units units(n_units);
    for (auto& u : units) {
        const uint64_t base = 32 * size(rng);
        const int n = n_options(rng);
        for (int o = 0; o < n; ++o) u.push_back({base * (2 + o) / 2 + 32 * (rng() % 3), std::round(noise(rng) * 8) / (1 + o)});
    }
    return units;
}

}  // namespace

TEST_CASE("plan solver: the optimum of brute force on random small instances", "[plan]") {
    std::mt19937_64 rng(7);
    int feasible = 0, infeasible = 0;
    for (int trial = 0; trial < 300; ++trial) {
        const Units units = random_units(rng, 1 + trial % 7);
        const uint64_t lo = qframe::plan::smallest_bytes(units), hi = qframe::plan::largest_bytes(units);
        for (uint64_t budget : {lo - 1, lo, (lo + hi) / 2, lo + (hi - lo) / 5, hi, hi + 100}) {
            const auto [best, best_bytes] = brute_force(units, budget);
            const auto s = qframe::plan::solve(units, budget);
            INFO("trial " << trial << " budget " << budget);
            if (best < 0) {
                CHECK_FALSE(s);
                ++infeasible;
                continue;
            }
            REQUIRE(s);
            ++feasible;
            CHECK(s->cost == Approx(best).margin(1e-9));
            CHECK(s->bytes == best_bytes);
            CHECK(s->bytes <= budget);
            uint64_t bytes = 0;
            double cost = 0;
            for (size_t i = 0; i < units.size(); ++i) bytes += units[i][s->choice[i]].bytes, cost += units[i][s->choice[i]].cost;
            CHECK(bytes == s->bytes);
            CHECK(cost == Approx(s->cost));
        }
    }
    CHECK(feasible > 1000);
    CHECK(infeasible >= 300);
}

TEST_CASE("plan solver: a 1B-sized instance (154 groups × 7 types) stays small", "[plan]") {
    std::mt19937_64 rng(11);
    Units units(154);
    for (auto& u : units) {
        const uint64_t values = 2048ull * (1 + rng() % 3) * 2048;  // a matrix of 4–12 M values
        double cost = 0.05 + (rng() % 100) / 1000.0;
        for (double bits : {2.625, 3.4375, 4.5, 5.5, 6.5625, 8.5, 16.0}) {
            u.push_back({static_cast<uint64_t>(values * bits / 8), cost});
            cost /= 3;
        }
    }
    const uint64_t budget = qframe::plan::smallest_bytes(units) + (qframe::plan::largest_bytes(units) - qframe::plan::smallest_bytes(units)) / 4;
    const auto s = qframe::plan::solve(units, budget);
    REQUIRE(s);
    CHECK(s->bytes <= budget);
}
