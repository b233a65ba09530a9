// An adaptive study (study mode: adaptive): one_at_a_time's candidates, most of them predicted
// rather than measured. In rounds:
//   1. every candidate's model-free error (output_err2 with an importance matrix, else rel_l2²)
//      and bytes: its treatment applied, no model run;
//   2. one treatment measured in every group (study.calibrate_at; by default the treatment in
//      the middle by error), which gives the group's gain (plan/gain_predictor.hpp) — or, when
//      the budget cannot pay for every group (or study.calibrate_layers says so), in a few layers
//      of each role, the other layers' gains interpolated between the nearest measured ones;
//   3. plans at the study's sizes (study.plan_bpw) from measured and predicted costs; the chosen
//      candidates that are only predicted are measured, then those next to a choice (the group's
//      next larger and smaller treatment), at most half the budget left per round, and the plans
//      made again —
// until the plans choose only measured candidates and their neighbours are measured, or the
// budget (study.measure_budget × the candidates) is spent. results.jsonl then holds every
// candidate, the predicted ones marked "predicted"; `qframe plan` reads it as any study's.
// Measured candidates are a one_at_a_time study's results (the same key): a study can be
// continued at a larger budget, or as one_at_a_time, without measuring anything twice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "qframe/catalog.hpp"
#include "qframe/sweep.hpp"

namespace qframe::plan {

struct AdaptiveSummary {
    size_t candidates = 0, groups = 0;
    size_t budget = 0;          // candidates it may measure
    size_t measured = 0;        // candidates with a measured result now
    size_t rounds = 0;          // plan-and-measure rounds after the calibration
    std::string calibration;    // the treatment measured in every calibrated group
    size_t calibrated = 0;      // groups calibrated (all, or a few layers of each role)
    bool settled = false;       // the plans choose measured candidates only, their neighbours measured
    // Candidates measured after they had been predicted: how good the predictions were (held out:
    // no prediction used its own measurement). Spearman's rho and the median of
    // max(predicted/measured, measured/predicted); 0 checked: none yet.
    size_t checked = 0;
    double rho = 0, median_factor = 0;
    SweepSummary sweep;         // results.jsonl and the reports
};

// Runs (or resumes) the adaptive study into study.out; throws qframe::Error before any work when
// the budget cannot pay for the calibration.
AdaptiveSummary run_adaptive_study(const Study& study, const StageCatalog& catalog, const SweepOptions& options);

// The candidates an adaptive study may measure: measure_budget × candidates, rounded down.
size_t adaptive_budget(const Study& study, size_t candidates);

// The groups of a study's candidates (plan_candidates: a group's candidates are adjacent), in
// study order.
std::vector<std::string> study_groups(const std::vector<Candidate>& candidates);

// The groups an adaptive study calibrates, in the order given. With layers_per_role 0: every
// group when the budget pays for them, otherwise per role (a group's name less its "blk.N.") as
// many layers as half the budget pays for, 2 at least; with layers_per_role N: N layers per role.
// The layers are spread evenly from the role's first to its last (1: the middle one); a group
// outside the blocks (output.weight) is a role of its own and always calibrated. The caller
// checks the result against the budget.
std::vector<std::string> calibration_groups(const std::vector<std::string>& groups, size_t budget, uint32_t layers_per_role);

}  // namespace qframe::plan
