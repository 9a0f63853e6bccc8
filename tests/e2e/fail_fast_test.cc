// A broken trial command: `hone run` stops after the first trials fail the same way, shows the
// first failure's stderr and exits 1; with failFast off it runs the budget and still exits 1,
// because no trial succeeded.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"

namespace hone::e2e {
namespace {

const char kSpace[] = "  x: {_type: uniform, _value: [0, 1]}\n";

TEST(FailFastE2eTest, TypoInTrialCommandStopsEarlyWithTheStderr) {
  HoneEnv env;
  std::string exp = env.WriteFile("exp.yaml", Config("python3 trail.py", 2, 40, kSpace));
  RunResult r = env.Run({"run", exp, "--no-ui"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("the first 3 trials all failed the same way (exit code 2)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("trail.py"), std::string::npos) << r.err;  // python names the missing file
  // Said once, not by the live view and again on exit.
  std::string all = r.out + r.err;
  size_t first = all.find("trials all failed the same way");
  EXPECT_EQ(all.find("trials all failed the same way", first + 1), std::string::npos) << all;
  std::string id = env.OnlyExperimentId();
  auto trials = env.Query(id, "SELECT status FROM trials");
  EXPECT_LE(trials.size(), 4u);
  auto meta = env.Query(id, "SELECT value FROM meta WHERE key = 'status'");
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(meta[0]["value"], "failed");
}

TEST(FailFastE2eTest, WithFailFastOffTheBudgetRunsAndNoSuccessExitsOne) {
  HoneEnv env;
  std::string exp = env.WriteFile("exp.yaml", Config("python3 -c 'import sys; sys.exit(3)'", 2, 6, kSpace, "failFast: false\n"));
  RunResult r = env.Run({"run", exp, "--no-ui"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("no trial succeeded"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("6 trials, 0 succeeded"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace hone::e2e
