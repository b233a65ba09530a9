// The plan's small statistics: how well one measure ranks like another.
#pragma once

#include <vector>

namespace qframe::plan {

// Spearman's rank correlation of x and y (Pearson's on their ranks, ties sharing their mean
// rank); 0 when either is constant.
double spearman(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace qframe::plan
