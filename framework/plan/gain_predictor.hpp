// The gain predictor: a candidate's one-at-a-time cost predicted without running the model, as
//   cost(group, type) ≈ g(group) · error(group, type)
// where error is what quantizing the group's tensors costs before any model run (output_err2,
// E‖ΔW·x‖² under the importance matrix's activation statistics; rel_l2² without one) and g, the
// group's gain, comes from one measured type of the group: cost / error there. One measurement per
// group then predicts every other type of it. check_gains says how well, on a finished study:
// calibrated on each treatment in turn, the other treatments' candidates predicted and compared
// with their measured cost (held out: none of them went into the gains).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "qframe/plan.hpp"

namespace qframe::plan {

struct CostSample {
    std::string group, treatment;
    double cost = 0;   // the measured objective (kld_mean …)
    double error = 0;  // the model-free error of the same candidate (output_err2 or rel_l2)
};

// A group's measured candidates, as the gain predictor reads them: (error, cost) pairs.
using GainPoints = std::vector<std::pair<double, double>>;
// The cost of a candidate of the group with model-free error `error`, from the group's measured
// points: the gain g = cost / error of the measured point nearest in log error, interpolated
// linearly in log error between the nearest below and above (the gain drifts with the type).
// Points with error 0 say nothing and are skipped; `fallback` is the gain when none is left
// (the study's median gain, say). Error 0 predicts cost 0: the tensors did not change.
double predict_cost(const GainPoints& measured, double error, double fallback_gain);

// One check per treatment with at least 3 usable samples (cost and error both above 0), in the
// order the treatments first appear in `samples`.
std::vector<GainCheck> check_gains(const std::vector<CostSample>& samples);

// One sentence: the range of held-out rank correlations over the calibrations, and where they
// were calibrated ("" without checks).
std::string gain_summary(const std::vector<GainCheck>& checks, const std::string& error_key, const std::string& objective);
// The checks as a Markdown table, one row per calibration.
std::string gain_table(const std::vector<GainCheck>& checks);

}  // namespace qframe::plan
