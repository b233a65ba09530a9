// The plan's solver against brute force: every choice of small random instances, budgets from
// infeasible to unconstrained.
#include <catch2/catch.hpp>

#include <cmath>
#include <optional>
#include <random>

#include "plan/solver.hpp"

namespace {

using qframe::plan::Option;
using Units = std::vector<std::vector<Option>>;

// The least cost within the budgets by trying every choice (ties: fewer bytes), or -1.
std::pair<double, uint64_t> brute_force(const Units& units, uint64_t budget, const qframe::plan::Seconds& time_budget = qframe::plan::kUnbounded) {
    std::vector<size_t> pick(units.size(), 0);
    double best = -1;
    uint64_t best_bytes = 0;
    while (true) {
        uint64_t bytes = 0;
        double cost = 0;
        qframe::plan::Seconds seconds{};
        for (size_t i = 0; i < units.size(); ++i) {
            bytes += units[i][pick[i]].bytes, cost += units[i][pick[i]].cost;
            for (size_t t = 0; t < seconds.size(); ++t) seconds[t] += units[i][pick[i]].seconds[t];
        }
        const bool fits = bytes <= budget && seconds[0] <= time_budget[0] && seconds[1] <= time_budget[1];
        if (fits && (best < 0 || cost < best - 1e-12 || (std::abs(cost - best) <= 1e-12 && bytes < best_bytes))) best = cost, best_bytes = bytes;
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

// solve() against brute force at one budget: the same least cost (ties: fewer bytes), within the
// budgets, its sums its choices'; counts the case as feasible or not.
std::optional<qframe::plan::Solution> check_solve(const Units& units, uint64_t budget, const qframe::plan::Seconds& bound, int& feasible,
                                                  int& infeasible) {
    const auto [best, best_bytes] = brute_force(units, budget, bound);
    const auto s = qframe::plan::solve(units, budget, bound);
    if (best < 0) {
        CHECK_FALSE(s);
        ++infeasible;
        return std::nullopt;
    }
    REQUIRE(s);
    ++feasible;
    CHECK(s->cost == Approx(best).margin(1e-9));
    CHECK(s->bytes == best_bytes);
    CHECK(s->bytes <= budget);
    CHECK(s->seconds[0] <= bound[0]);
    CHECK(s->seconds[1] <= bound[1]);
    uint64_t bytes = 0;
    double cost = 0;
    for (size_t i = 0; i < units.size(); ++i) bytes += units[i][s->choice[i]].bytes, cost += units[i][s->choice[i]].cost;
    CHECK(bytes == s->bytes);
    CHECK(cost == Approx(s->cost));
    return s;
}

}  // namespace

TEST_CASE("plan solver: the optimum of brute force on random small instances", "[plan]") {
    std::mt19937_64 rng(7);
    int feasible = 0, infeasible = 0;
    for (int trial = 0; trial < 300; ++trial) {
        const Units units = random_units(rng, 1 + trial % 7);
        const uint64_t lo = qframe::plan::smallest_bytes(units), hi = qframe::plan::largest_bytes(units);
        for (uint64_t budget : {lo - 1, lo, (lo + hi) / 2, lo + (hi - lo) / 5, hi, hi + 100}) {
            INFO("trial " << trial << " budget " << budget);
            check_solve(units, budget, qframe::plan::kUnbounded, feasible, infeasible);
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

TEST_CASE("plan solver: with time budgets, the optimum of brute force", "[plan]") {
    std::mt19937_64 rng(13);
    std::uniform_real_distribution<double> speed(0.5, 2.0);
    int feasible = 0, infeasible = 0, bound_binds = 0;
    for (int trial = 0; trial < 200; ++trial) {
        Units units = random_units(rng, 1 + trial % 6);
        // Time is not bytes: a smaller type can be slower (the IQ types' generation).
        for (auto& u : units)
            for (auto& o : u) o.seconds = {static_cast<double>(o.bytes) * speed(rng), 1000.0 / static_cast<double>(o.bytes) + speed(rng)};
        const uint64_t hi = qframe::plan::largest_bytes(units);
        double slowest_prompt = 0, slowest_gen = 0;
        for (const auto& u : units) {
            double p = 0, g = 0;
            for (const auto& o : u) p = std::max(p, o.seconds[0]), g = std::max(g, o.seconds[1]);
            slowest_prompt += p, slowest_gen += g;
        }
        for (const double f : {0.3, 0.6, 0.8, 1.0})
            for (const int kind : {0, 1, 2}) {
                qframe::plan::Seconds bound = qframe::plan::kUnbounded;
                if (kind != 1) bound[0] = slowest_prompt * f;
                if (kind != 0) bound[1] = slowest_gen * f;
                INFO("trial " << trial << " f " << f << " kind " << kind);
                const auto s = check_solve(units, hi, bound, feasible, infeasible);
                if (s && s->cost > brute_force(units, hi).first + 1e-9) ++bound_binds;
            }
    }
    CHECK(feasible > 500);
    CHECK(infeasible > 50);
    CHECK(bound_binds > 100);  // the bounds changed the answer often: the test tests them
}
