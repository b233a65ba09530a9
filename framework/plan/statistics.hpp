// The plan's small statistics: how well one measure ranks like another.
#pragma once

#include <vector>

namespace qframe::plan {

// Spearman's rank correlation of x and y (Pearson's on their ranks, ties sharing their mean
// rank); 0 when either is constant.
double spearman(const std::vector<double>& x, const std::vector<double>& y);

// The median (the mean of the two middle values of an even count); 0 when empty.
double median(std::vector<double> v);

}  // namespace qframe::plan
