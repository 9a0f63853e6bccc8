#include "assessors/curvefitting/curvefitting_assessor.h"

#include <cmath>

#include <gtest/gtest.h>

#include "assessor_test_util.h"
#include "assessors/curvefitting/curve_ensemble.h"
#include "assessors/curvefitting/curve_families.h"

namespace hone {
namespace {

using nlohmann::json;
using testing_util::History;
using testing_util::Running;

std::vector<double> Saturating(double final_value, double start, double tau, int n) {
  std::vector<double> ys;
  for (int e = 1; e <= n; ++e) ys.push_back(final_value - (final_value - start) * std::exp(-(e - 1) / tau));
  return ys;
}

TEST(CurveFamiliesTest, TwelveFamiliesAsNni) {
  std::vector<std::string> names;
  for (const auto& f : CurveFamilies()) names.emplace_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"vap", "pow3", "linear", "logx_linear", "dr_hill_zero_background",
                                             "log_power", "pow4", "mmf", "exp4", "ilog2", "weibull", "janoschek"}));
}

TEST(CurveFamiliesTest, EachFamilyRecoversACurveOfItsOwnShape) {
  // Curves drawn from each family itself are fitted closely from their first 8 points.
  for (const auto& f : CurveFamilies()) {
    std::vector<double> init = f.initial(Saturating(0.9, 0.5, 3, 8));
    std::vector<double> truth = init;
    for (double& p : truth) p *= 1.05;
    std::vector<double> ys;
    for (int e = 1; e <= 8; ++e) ys.push_back(f.eval(e, truth));
    bool finite = true;
    for (double y : ys) finite &= std::isfinite(y);
    if (!finite) continue;
    auto p = PredictCurve(ys, 8);
    ASSERT_TRUE(p.has_value()) << f.name;
    double range = 1e-3 + std::fabs(ys.back() - ys.front());
    EXPECT_NEAR(p->value, ys.back(), 0.05 * range + 1e-6) << f.name;
  }
}

TEST(CurveEnsembleTest, ExtrapolatesASaturatingCurve) {
  std::vector<double> full = Saturating(0.9, 0.4, 4, 30);
  auto p = PredictCurve(std::span<const double>(full.data(), 10), 30);
  ASSERT_TRUE(p.has_value());
  EXPECT_NEAR(p->value, full.back(), 0.03);
  double total = 0;
  for (const auto& f : p->fits) total += f.weight;
  EXPECT_NEAR(total, 1.0, 1e-9);
  EXPECT_EQ(p->fits.size(), 12u);
}

TEST(CurveEnsembleTest, FamiliesNeedAsManyPointsAsParameters) {
  std::vector<double> two = {0.5, 0.6};
  auto p = PredictCurve(two, 10);
  ASSERT_TRUE(p.has_value());
  for (const auto& f : p->fits) {
    if (f.params.empty()) {
      EXPECT_EQ(f.weight, 0) << f.name;
    }
  }
  EXPECT_FALSE(PredictCurve(std::vector<double>{0.5}, 10).has_value());
}

TEST(CurvefittingAssessorTest, StopsACurveThatCannotReachTheBest) {
  AssessorContext ctx;
  ctx.class_args = {{"epoch_num", 30}, {"start_step", 6}, {"threshold", 0.95}};
  auto a = CurvefittingAssessor::Create(ctx);
  ASSERT_TRUE(a.ok());
  std::vector<TrialRecord> done = {History(Saturating(0.9, 0.4, 4, 30))};
  std::vector<double> low = Saturating(0.7, 0.3, 4, 30);
  std::vector<double> good = Saturating(0.89, 0.3, 5, 30);
  EXPECT_EQ((*a)->Assess(Running({low.begin(), low.begin() + 5}), done), Verdict::kContinue);  // before start_step
  EXPECT_EQ((*a)->Assess(Running({low.begin(), low.begin() + 6}), done), Verdict::kStop);
  EXPECT_EQ((*a)->Assess(Running({good.begin(), good.begin() + 6}), done), Verdict::kContinue);
  EXPECT_EQ((*a)->Assess(Running(low), {}), Verdict::kContinue);  // nothing succeeded yet
}

TEST(CurvefittingAssessorTest, MinimizeWorksOnLossCurves) {
  AssessorContext ctx;
  ctx.mode = OptimizeMode::kMinimize;
  ctx.class_args = {{"epoch_num", 30}, {"start_step", 6}, {"threshold", 0.9}};
  auto a = CurvefittingAssessor::Create(ctx);
  ASSERT_TRUE(a.ok());
  std::vector<TrialRecord> done = {History(Saturating(0.3, 2.0, 4, 30))};
  std::vector<double> bad = Saturating(0.8, 2.2, 4, 30);
  std::vector<double> good = Saturating(0.31, 2.4, 4, 30);
  EXPECT_EQ((*a)->Assess(Running({bad.begin(), bad.begin() + 8}), done), Verdict::kStop);
  EXPECT_EQ((*a)->Assess(Running({good.begin(), good.begin() + 8}), done), Verdict::kContinue);
}

TEST(CurvefittingAssessorTest, GapSpacesTheJudgements) {
  AssessorContext ctx;
  ctx.class_args = {{"epoch_num", 30}, {"start_step", 6}, {"gap", 3}};
  auto a = CurvefittingAssessor::Create(ctx);
  ASSERT_TRUE(a.ok());
  std::vector<TrialRecord> done = {History(Saturating(0.9, 0.4, 4, 30))};
  std::vector<double> low = Saturating(0.5, 0.3, 4, 30);
  EXPECT_EQ((*a)->Assess(Running({low.begin(), low.begin() + 7}), done), Verdict::kContinue);
  EXPECT_EQ((*a)->Assess(Running({low.begin(), low.begin() + 9}), done), Verdict::kStop);
  EXPECT_EQ((*a)->Assess(Running(low), done), Verdict::kContinue);  // reached epoch_num
}

}  // namespace
}  // namespace hone
