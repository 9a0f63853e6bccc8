// NormalQuantile: the inverse CDF of the standard normal distribution, used by grid
// search to place grid points of normal kinds at equal probability steps.
#pragma once

namespace hone {

// z such that P(Z <= z) = p for Z ~ N(0, 1). REQUIRES: 0 < p < 1.
// Relative error below 1e-13 over the whole range.
double NormalQuantile(double p);

}  // namespace hone
