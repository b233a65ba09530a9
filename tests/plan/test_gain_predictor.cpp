// The gain predictor's check (framework/plan/gain_predictor.hpp) on studies whose costs are made
// to follow the model exactly, to oppose it, or to follow it within a known factor.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "plan/gain_predictor.hpp"

namespace {

using qframe::plan::CostSample;

// 12 groups × 4 types; group g's gain 1 + g, type t's error (t + 1)·(1 + (g·7 % 5)) (or, with
// flat_errors, t + 1 for every group).
std::vector<CostSample> study(double (*cost_of)(double gain, double error, int type), bool flat_errors = false) {
    std::vector<CostSample> samples;
    for (int t = 0; t < 4; ++t)
        for (int g = 0; g < 12; ++g) {
            const double gain = 1 + g, error = (t + 1) * (flat_errors ? 1 : 1 + (g * 7 % 5));
            samples.push_back({"group" + std::to_string(g), "type" + std::to_string(t), cost_of(gain, error, t), error});
        }
    return samples;
}

}  // namespace

TEST_CASE("gain predictor: costs that are gain times error are predicted exactly from any one type", "[plan][gain]") {
    const auto checks = qframe::plan::check_gains(study([](double gain, double error, int) { return gain * error; }));
    REQUIRE(checks.size() == 4);
    for (const auto& c : checks) {
        CHECK(c.pairs == 36);  // 12 groups × the 3 other types
        CHECK(c.rho == Approx(1.0));
        CHECK(c.rho_within_min == Approx(1.0));
        CHECK(c.median_factor == Approx(1.0));
    }
    CHECK(checks.front().calibration == "type0");
}

TEST_CASE("gain predictor: a sensitivity that turns around between types is caught", "[plan][gain]") {
    // Every group has the same error at a type; the odd types' costs rank the groups backwards
    // (13 − gain), so gains measured at one parity predict the other parity in reverse.
    const auto checks = qframe::plan::check_gains(study([](double gain, double error, int t) { return (t % 2 ? 13 - gain : gain) * error; }, true));
    REQUIRE(checks.size() == 4);
    for (const auto& c : checks) CHECK(c.rho_within_min == Approx(-1.0));
}

TEST_CASE("gain predictor: a per-type factor keeps the ranks within a type and shows as the error factor", "[plan][gain]") {
    // Type t's cost is 2^t × gain × error: calibrated at type 0, type 1 is predicted 2× too low.
    const auto checks = qframe::plan::check_gains(study([](double gain, double error, int t) { return std::ldexp(gain * error, t); }));
    REQUIRE(checks.size() == 4);
    CHECK(checks[0].rho_within_min == Approx(1.0));
    CHECK(checks[0].median_factor == Approx(4.0));  // the held-out factors are 2, 4 and 8, 12 of each
}

TEST_CASE("gain predictor: candidates without cost or error calibrate nothing", "[plan][gain]") {
    auto samples = study([](double gain, double error, int) { return gain * error; });
    for (auto& s : samples)
        if (s.treatment == "type3") s.error = 0;  // e.g. a type that left every tensor as it was
    const auto checks = qframe::plan::check_gains(samples);
    REQUIRE(checks.size() == 3);
    for (const auto& c : checks) CHECK(c.pairs == 24);
    CHECK(qframe::plan::gain_summary(checks, "output_err2", "kld_mean").find("rho 1.000") != std::string::npos);
    CHECK(qframe::plan::gain_summary({}, "output_err2", "kld_mean").empty());
}

TEST_CASE("gain predictor: a cost from the group's measured points, the gain interpolated in log error", "[plan][gain]") {
    using qframe::plan::predict_cost;
    // One point: its gain times the error, at any error.
    CHECK(predict_cost({{2.0, 6.0}}, 8.0, 100) == Approx(24.0));
    CHECK(predict_cost({{2.0, 6.0}}, 0.5, 100) == Approx(1.5));
    // Two points with gains 3 (error 1) and 5 (error 100): halfway in log error, gain 4.
    const qframe::plan::GainPoints two = {{1.0, 3.0}, {100.0, 500.0}};
    CHECK(predict_cost(two, 10.0, 100) == Approx(40.0));
    CHECK(predict_cost(two, 1.0, 100) == Approx(3.0));
    CHECK(predict_cost(two, 1000.0, 100) == Approx(5000.0));  // beyond the points: the nearest gain
    CHECK(predict_cost(two, 0.01, 100) == Approx(0.03));
    // Nothing changed: no cost. No usable point (error 0 says nothing): the fallback gain.
    CHECK(predict_cost(two, 0.0, 100) == 0.0);
    CHECK(predict_cost({{0.0, 1.0}}, 2.0, 7) == Approx(14.0));
    CHECK(predict_cost({}, 2.0, 7) == Approx(14.0));
}
