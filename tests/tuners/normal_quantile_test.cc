#include "tuners/normal_quantile.h"

#include <cmath>

#include <gtest/gtest.h>

namespace hone {
namespace {

TEST(NormalQuantileTest, MatchesKnownQuantiles) {
  EXPECT_DOUBLE_EQ(NormalQuantile(0.5), 0.0);
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-12);
  EXPECT_NEAR(NormalQuantile(0.25), -0.6744897501960817, 1e-12);
  EXPECT_NEAR(NormalQuantile(0.001), -3.090232306167813, 1e-12);
  EXPECT_NEAR(NormalQuantile(1e-10), -6.361340902404056, 1e-10);
}

TEST(NormalQuantileTest, IsTheInverseOfTheCdf) {
  for (double p = 0.0005; p < 1; p += 0.0137) {
    double z = NormalQuantile(p);
    EXPECT_NEAR(0.5 * std::erfc(-z / std::sqrt(2.0)), p, 1e-14 + 1e-12 * p) << "p=" << p;
  }
}

TEST(NormalQuantileTest, IsExactlySymmetricAtGridPoints) {
  for (double p : {1.0 / 1024, 0.0625, 0.3125, 0.4375})
    EXPECT_EQ(NormalQuantile(p), -NormalQuantile(1 - p)) << "p=" << p;
}

}  // namespace
}  // namespace hone
