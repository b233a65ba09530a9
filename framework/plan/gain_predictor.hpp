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
#include <vector>

#include "qframe/plan.hpp"

namespace qframe::plan {

struct CostSample {
    std::string group, treatment;
    double cost = 0;   // the measured objective (kld_mean …)
    double error = 0;  // the model-free error of the same candidate (output_err2 or rel_l2)
};

// One check per treatment with at least 3 usable samples (cost and error both above 0), in the
// order the treatments first appear in `samples`.
std::vector<GainCheck> check_gains(const std::vector<CostSample>& samples);

// One sentence: the range of held-out rank correlations over the calibrations, and where they
// were calibrated ("" without checks).
std::string gain_summary(const std::vector<GainCheck>& checks, const std::string& error_key, const std::string& objective);
// The checks as a Markdown table, one row per calibration.
std::string gain_table(const std::vector<GainCheck>& checks);

}  // namespace qframe::plan
