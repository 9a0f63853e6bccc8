// Log expected improvement, computed stably where EI itself underflows (Ament et al.,
// 2023, "Unexpected improvements to expected improvement").
#pragma once

namespace hone {

// log(phi(z) + z Phi(z)): EI of a standard normal over a threshold z above its mean.
// Finite for every finite z (about -z^2/2 for very negative z).
double LogH(double z);

// log EI for minimization: the expected amount by which N(mean, sigma^2) falls below
// `best`. REQUIRES: sigma > 0.
double LogExpectedImprovement(double mean, double sigma, double best);

// exp(x^2) erfc(x), accurate also where erfc underflows.
double Erfcx(double x);

}  // namespace hone
