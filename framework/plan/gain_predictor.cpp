#include "gain_predictor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "statistics.hpp"

namespace qframe::plan {

double predict_cost(const GainPoints& measured, double error, double fallback_gain) {
    if (!(error > 0)) return 0;
    const std::pair<double, double>*below = nullptr, *above = nullptr;
    for (const auto& p : measured) {
        if (!(p.first > 0) || !std::isfinite(p.second)) continue;
        if (p.first <= error && (!below || p.first > below->first)) below = &p;
        if (p.first >= error && (!above || p.first < above->first)) above = &p;
    }
    const auto gain = [](const std::pair<double, double>* p) { return p->second / p->first; };
    if (!below && !above) return fallback_gain * error;
    if (!below || !above || below->first == above->first) return gain(below ? below : above) * error;
    const double t = std::log(error / below->first) / std::log(above->first / below->first);
    return (gain(below) + t * (gain(above) - gain(below))) * error;
}

std::vector<GainCheck> check_gains(const std::vector<CostSample>& all) {
    // A gain needs a positive cost and error: a candidate the quantization left unchanged (or
    // that measured no cost) says nothing about the group's sensitivity.
    std::vector<const CostSample*> samples;
    std::vector<std::string> treatments;
    for (const auto& s : all)
        if (s.cost > 0 && s.error > 0 && std::isfinite(s.cost) && std::isfinite(s.error)) {
            samples.push_back(&s);
            if (std::find(treatments.begin(), treatments.end(), s.treatment) == treatments.end()) treatments.push_back(s.treatment);
        }
    std::vector<GainCheck> checks;
    for (const auto& calibration : treatments) {
        std::map<std::string, double> gain;  // per group
        for (const auto* s : samples)
            if (s->treatment == calibration) gain[s->group] = s->cost / s->error;
        if (gain.size() < 3) continue;
        std::vector<double> predicted, measured, factors;
        std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> per_treatment;
        for (const auto* s : samples) {
            const auto g = gain.find(s->group);
            if (s->treatment == calibration || g == gain.end()) continue;
            const double p = g->second * s->error;
            predicted.push_back(p);
            measured.push_back(s->cost);
            factors.push_back(std::exp(std::abs(std::log(p / s->cost))));
            per_treatment[s->treatment].first.push_back(p);
            per_treatment[s->treatment].second.push_back(s->cost);
        }
        if (predicted.size() < 3) continue;
        GainCheck check{calibration, predicted.size(), spearman(predicted, measured), 1, median(factors)};
        for (const auto& [t, pm] : per_treatment)
            if (pm.first.size() >= 3) check.rho_within_min = std::min(check.rho_within_min, spearman(pm.first, pm.second));
        checks.push_back(check);
    }
    return checks;
}

std::string gain_summary(const std::vector<GainCheck>& checks, const std::string& error_key, const std::string& objective) {
    if (checks.empty()) return "";
    const auto by_rho = [](const GainCheck& a, const GainCheck& b) { return a.rho < b.rho; };
    const GainCheck& worst = *std::min_element(checks.begin(), checks.end(), by_rho);
    const GainCheck& best = *std::max_element(checks.begin(), checks.end(), by_rho);
    double within = 1, factor_min = worst.median_factor, factor_max = worst.median_factor;
    for (const auto& c : checks) {
        within = std::min(within, c.rho_within_min);
        factor_min = std::min(factor_min, c.median_factor);
        factor_max = std::max(factor_max, c.median_factor);
    }
    return fmt::format("the gain predictor ({} ≈ g(group) × {}, g from one measured type per group) ranks the other types' candidates "
                       "with Spearman's rho {:.3f} (gains at {}) … {:.3f} (at {}), at least {:.3f} within a treatment; median error ×{:.2f} … ×{:.2f}",
                       objective, error_key, worst.rho, worst.calibration, best.rho, best.calibration, within, factor_min, factor_max);
}

std::string gain_table(const std::vector<GainCheck>& checks) {
    std::string md = "| gains measured at | held-out candidates | rho | least rho within a treatment | median error factor |\n|---|---:|---:|---:|---:|\n";
    for (const auto& c : checks)
        md += fmt::format("| {} | {} | {:.3f} | {:.3f} | ×{:.2f} |\n", c.calibration, c.pairs, c.rho, c.rho_within_min, c.median_factor);
    return md;
}

}  // namespace qframe::plan
