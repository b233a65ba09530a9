// REPORT.json and REPORT.md of a study: its settings, the baseline, and per treatment the
// candidates sorted by cost, the most and least sensitive groups first.
#pragma once

#include <vector>

#include "qframe/findings.hpp"
#include "qframe/study.hpp"
#include "qframe/sweep.hpp"

namespace qframe::sweep {

void write_reports(const Study& study, const std::vector<Findings>& results, const SweepSummary& summary);

}  // namespace qframe::sweep
