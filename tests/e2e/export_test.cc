// End-to-end: `hone experiment export -i` writes every intermediate report whole, the
// keys besides "default" included, as the trial reported them.
#include <gtest/gtest.h>

#include "e2e_util.h"

namespace hone::e2e {
namespace {

constexpr const char* kDictReports = R"(import hone
x = hone.get_params()['x']
for step in range(3):
    hone.report_intermediate({'default': x * step, 'loss': 1 - x * step, 'phase': 'warmup' if step == 0 else 'train'})
hone.report_intermediate(0.5)
hone.report_final({'default': x, 'loss': 1 - x})
)";

TEST(ExportTest, IntermediateResultsKeepEveryKeyOfDictReports) {
  HoneEnv env;
  env.WriteFile("trial.py", kDictReports);
  auto cfg = env.WriteFile("exp.yaml", Config("/usr/bin/python3 trial.py", 2, 2, "  x: {_type: uniform, _value: [0, 1]}\n"));
  RunResult run = env.Run({"run", cfg}, 120);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  std::string id = env.OnlyExperimentId();

  RunResult r = env.Run({"experiment", "export", id, "-i"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json trials = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(trials.is_array() && trials.size() == 2u) << r.out;
  for (const auto& t : trials) {
    const double x = t["parameters"]["x"].get<double>();
    const auto& points = t["intermediate"];
    ASSERT_EQ(points.size(), 4u) << t.dump();
    for (int step = 0; step < 3; ++step) {
      const auto& p = points[step];
      EXPECT_EQ(p["step"], step);
      EXPECT_DOUBLE_EQ(p["value"].get<double>(), x * step);
      EXPECT_DOUBLE_EQ(p["metrics"]["default"].get<double>(), x * step) << p.dump();
      EXPECT_DOUBLE_EQ(p["metrics"]["loss"].get<double>(), 1 - x * step) << p.dump();
      EXPECT_EQ(p["metrics"]["phase"], step == 0 ? "warmup" : "train") << p.dump();
    }
    EXPECT_EQ(points[3]["metrics"], nlohmann::json({{"default", 0.5}})) << points[3].dump();
    EXPECT_DOUBLE_EQ(t["metrics"]["loss"].get<double>(), 1 - x);
  }

  RunResult plain = env.Run({"experiment", "export", id});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_FALSE(nlohmann::json::parse(plain.out)[0].contains("intermediate")) << plain.out;
}

}  // namespace
}  // namespace hone::e2e
