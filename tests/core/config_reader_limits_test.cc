// The experiment-config reader against hostile values: integers past 32 or 64 bits are
// range errors (never truncated), randint past 2^53 and uniform ranges of infinite width
// are rejected, a search-space file that cannot be read is an error, and 100,000 unknown
// keys give 100 errors and a count, quickly.
#include <algorithm>
#include <chrono>
#include <random>

#include <gtest/gtest.h>

#include "core/arg_spec.h"
#include "core/config_reader.h"
#include "tests/core/config_test_util.h"

namespace hone {
namespace {

const char kSpace[] = "searchSpace:\n  lr: {_type: uniform, _value: [0, 1]}\ntrialCommand: python3 trial.py\n";

using ConfigReaderLimitsTest = testing::ConfigReaderTest;

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

TEST_F(ConfigReaderLimitsTest, ConcurrencyPast32BitsIsARangeError) {
  EXPECT_HAS(Errors(std::string(kSpace) + "trialConcurrency: 4294967297\n"),
             "exp.yaml:4:19: error: trialConcurrency: must lie in [1, 100000], but got 4294967297");
  EXPECT_HAS(Errors(std::string(kSpace) + "trialConcurrency: 99999999999999999999\n"),
             "exp.yaml:4:19: error: trialConcurrency: must lie in [1, 100000], but got 99999999999999999999");
  auto at_max = Read(std::string(kSpace) + "trialConcurrency: 100000\n");
  ASSERT_TRUE(at_max.ok()) << at_max.status().message();
  EXPECT_EQ(at_max->trial_concurrency, 100000);
}

TEST_F(ConfigReaderLimitsTest, ConcurrencyWithAnExponentIsNoInteger) {
  EXPECT_HAS(Errors(std::string(kSpace) + "trialConcurrency: 1e12\n"),
             "exp.yaml:4:19: error: trialConcurrency: expected an integer, but got the number 1e12");
}

TEST_F(ConfigReaderLimitsTest, GpuNumberPast32BitsIsARangeError) {
  std::string text = std::string(kSpace) + "trialConcurrency: 1\ntrialGpuNumber: 4294967296\n";
  EXPECT_HAS(Errors(text), "exp.yaml:5:17: error: trialGpuNumber: must lie in [0, 1024], but got 4294967296");
  EXPECT_HAS(Errors(std::string(kSpace) + "trialConcurrency: 1\ntrialGpuNumber: -99999999999999999999\n"),
             "exp.yaml:5:17: error: trialGpuNumber: must be >= 0, but got -99999999999999999999");
}

TEST_F(ConfigReaderLimitsTest, TrialNumberAndSeedAreRangeChecked) {
  std::string base = std::string(kSpace) + "trialConcurrency: 1\n";
  EXPECT_HAS(Errors(base + "maxTrialNumber: 1000000001\n"),
             "maxTrialNumber: must lie in [1, 1000000000], but got 1000000001");
  EXPECT_HAS(Errors(base + "seed: 9223372036854775808\n"),
             "seed: must lie in [0, 9223372036854775807], but got 9223372036854775808");
  auto ok = Read(base + "seed: 9223372036854775807\nmaxTrialNumber: 1000000000\n");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->seed, 9223372036854775807ULL);
  EXPECT_EQ(ok->max_trial_number, 1000000000);
}

TEST_F(ConfigReaderLimitsTest, StoredConfigWithAnUnsignedSeedNamesTheRange) {
  auto cfg = Read(std::string(kSpace) + "trialConcurrency: 1\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  nlohmann::json stored = cfg->ToJson();
  stored["seed"] = 18446744073709551615ULL;
  auto back = ExperimentConfig::FromJson(stored, registry_);
  ASSERT_FALSE(back.ok());
  EXPECT_HAS(back.status().message(), "seed: must lie in [0, 9223372036854775807], but got 18446744073709551615");
}

TEST_F(ConfigReaderLimitsTest, ClassArgIntegersPast32BitsAreRangeErrors) {
  std::string text = std::string(kSpace) +
                     "trialConcurrency: 1\ntuner:\n  name: evolution\n  classArgs:\n"
                     "    population_size: 4294967297\n    seed: 9223372036854775808\n";
  std::string errors = Errors(text);
  EXPECT_HAS(errors, "exp.yaml:8:22: error: tuner.classArgs.population_size: must lie in [1, 2147483647], but got 4294967297");
  EXPECT_HAS(errors, "exp.yaml:9:11: error: tuner.classArgs.seed: must lie in [-9223372036854775808, "
                     "9223372036854775807], but got 9223372036854775808");
}

TEST_F(ConfigReaderLimitsTest, ArgSpecIntegersKeepDeclaredMessages) {
  std::vector<ArgSpec> specs = {MakeArg("n", ArgSpec::Kind::kInt, 1), MakeArg("k", ArgSpec::Kind::kInt),
                                SeedArg()};
  EXPECT_HAS(CheckArgsJson({{"n", 0}}, "a", specs).message(), "a.n: must be >= 1, but got 0");
  EXPECT_HAS(CheckArgsJson({{"k", -2147483649LL}}, "a", specs).message(),
             "a.k: must lie in [-2147483648, 2147483647], but got -2147483649");
  // A JSON float stays a float, so it is not taken for an integer; a JSON integer past
  // the range names the range.
  EXPECT_HAS(CheckArgsJson({{"n", 1e12}}, "a", specs).message(), "a.n: expected an integer, but got the number 1000000000000.0");
  EXPECT_HAS(CheckArgsJson({{"n", 1000000000000LL}}, "a", specs).message(), "a.n: must lie in [1, 2147483647], but got 1000000000000");
  EXPECT_TRUE(CheckArgsJson({{"k", 2147483647}, {"seed", 9223372036854775807LL}}, "a", specs).ok());
}

TEST_F(ConfigReaderLimitsTest, RandintOverTheInt64RangeIsRejected) {
  std::string text = "searchSpace:\n  n: {_type: randint, _value: [-9223372036854775808, 9223372036854775807]}\n"
                     "trialCommand: python3 trial.py\ntrialConcurrency: 1\n";
  EXPECT_HAS(Errors(text),
             "exp.yaml:2:31: error: searchSpace.n._value: randint bounds must lie in [-9007199254740992, "
             "9007199254740992] (2^53, where every integer is exact as a double), but got "
             "[-9223372036854775808, 9223372036854775807]");
  std::string past64 = "searchSpace:\n  n: {_type: randint, _value: [0, 99999999999999999999]}\n"
                       "trialCommand: python3 trial.py\ntrialConcurrency: 1\n";
  EXPECT_HAS(Errors(past64), "randint bounds must lie in [-9007199254740992, 9007199254740992]");
}

TEST(SearchSpaceLimitsTest, RandintUpTo2To53SamplesExactly) {
  auto space = SearchSpace::FromJson({{"n", {{"_type", "randint"}, {"_value", {-9007199254740992LL, 9007199254740992LL}}}}});
  ASSERT_TRUE(space.ok()) << space.status().message();
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100; ++i) {
    nlohmann::json c = space->Sample(rng);
    ASSERT_TRUE(c["n"].is_number_integer());
    EXPECT_TRUE(space->Contains(c)) << c.dump();
  }
}

TEST(SearchSpaceLimitsTest, UniformOfInfiniteWidthIsRejected) {
  auto space = SearchSpace::FromJson({{"x", {{"_type", "uniform"}, {"_value", {-1e308, 1e308}}}}});
  ASSERT_FALSE(space.ok());
  EXPECT_EQ(space.status().message(),
            "<search space>: error: x._value: high - low must be a finite number (it overflows a double here), "
            "but got low=-1e+308, high=1e+308");
  auto q = SearchSpace::FromJson({{"x", {{"_type", "quniform"}, {"_value", {-1e308, 1e308, 1e300}}}}});
  EXPECT_FALSE(q.ok());
  auto wide = SearchSpace::FromJson({{"x", {{"_type", "uniform"}, {"_value", {-8e307, 8e307}}}}});
  EXPECT_TRUE(wide.ok()) << wide.status().message();
}

TEST_F(ConfigReaderLimitsTest, UnreadableSearchSpaceFileIsAnError) {
  std::string text = "searchSpaceFile: /proc/self/mem\ntrialCommand: python3 trial.py\ntrialConcurrency: 1\n";
  EXPECT_HAS(Errors(text), "exp.yaml:1:18: error: searchSpaceFile: cannot read file '/proc/self/mem': Input/output error");
}

TEST_F(ConfigReaderLimitsTest, UnreadableConfigFileIsAnError) {
  auto cfg = ReadExperimentConfig("/proc/self/mem", registry_);
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().message(),
            "/proc/self/mem: error: cannot read file '/proc/self/mem': Input/output error");
}

TEST_F(ConfigReaderLimitsTest, HundredThousandUnknownKeysGiveTheFirstHundredErrorsQuickly) {
  std::string text = std::string(kSpace) + "trialConcurrency: 1\n";
  for (int i = 0; i < 100000; ++i) text += "unknown" + std::to_string(i) + ": 1\n";
  auto start = std::chrono::steady_clock::now();
  std::string errors = Errors(text);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 10.0);  // was 17 s: a quadratic key lookup per error
  size_t lines = std::count(errors.begin(), errors.end(), '\n') + 1;
  EXPECT_LE(lines, 110u);
  EXPECT_HAS(errors, "exp.yaml:5:1: error: unknown0: unknown key\n");
  EXPECT_HAS(errors, "exp.yaml: error: 99900 more errors not shown (hone lists the first 100)");
}

TEST(DiagnosticsCapTest, KeepsTheFirstHundredErrorsAndCountsTheRest) {
  Diagnostics diag;
  for (int i = 0; i < 250; ++i) diag.Error({"exp.yaml", 250 - i, 1}, "k" + std::to_string(i), "bad");
  diag.Note({"exp.yaml", 1, 1}, "", "a note");
  EXPECT_TRUE(diag.full());
  EXPECT_EQ(diag.error_count(), 250u);
  EXPECT_EQ(diag.all().size(), 101u);
  std::string text = diag.ToString();
  EXPECT_EQ(text.find("k100:"), std::string::npos);  // the 101st error is only counted
  EXPECT_HAS(text, "exp.yaml:151:1: error: k99: bad\n");
  // The count closes the errors, before the notes.
  EXPECT_HAS(text, "exp.yaml:250:1: error: k0: bad\nexp.yaml: error: 150 more errors not shown (hone lists the "
                   "first 100)\nexp.yaml:1:1: note: a note\n");
}

TEST(DiagnosticsCapTest, DidYouMeanStaysCheapOnLongWords) {
  EXPECT_EQ(DidYouMean(std::string(100000, 'a'), {"trialConcurrency", std::string(100000, 'a')}), "");
  EXPECT_EQ(DidYouMean("trialConcurency", {std::string(5000, 'x'), "trialConcurrency"}), "trialConcurrency");
}

}  // namespace
}  // namespace hone
