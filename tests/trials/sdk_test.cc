// Tests of the trial SDKs: the C++ header (trials/sdk/cpp/hone/trial.h) in-process, and
// the Python SDK, the NNI shim and the examples through their unittest suite (tests/sdk).
#include "trials/sdk/cpp/hone/trial.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace hone::trial {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Sets (or, with nullopt, unsets) an environment variable for the scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string ReadAll(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  return text;
}

TEST(TrialSdkTest, FormatsScalarReports) {
  EXPECT_EQ(FormatReport(0.81, 3), R"(@hone {"type":"intermediate","step":3,"value":0.81})");
  EXPECT_EQ(FormatReport(0.93, -1), R"(@hone {"type":"final","value":0.93})");
  EXPECT_EQ(FormatReport(4, 0), R"(@hone {"type":"intermediate","step":0,"value":4})");
  EXPECT_EQ(FormatReport(1.0, -1), R"(@hone {"type":"final","value":1.0})");
  EXPECT_EQ(FormatReport(1e-7, -1), R"(@hone {"type":"final","value":1e-07})");
}

TEST(TrialSdkTest, WritesNonFiniteValuesAsBareTokens) {
  EXPECT_EQ(FormatReport(std::nan(""), 0),
            R"(@hone {"type":"intermediate","step":0,"value":NaN})");
  EXPECT_EQ(FormatReport(kInf, -1), R"(@hone {"type":"final","value":Infinity})");
  EXPECT_EQ(FormatReport(-kInf, -1), R"(@hone {"type":"final","value":-Infinity})");
  nlohmann::json metrics = {{"default", std::nan("")},
                            {"curve", {1.5, kInf, -kInf}},
                            {"inner", {{"x", std::nan("")}}}};
  EXPECT_EQ(FormatReport(metrics, -1),
            R"(@hone {"type":"final","value":{"curve":[1.5,Infinity,-Infinity],)"
            R"("default":NaN,"inner":{"x":NaN}}})");
}

TEST(TrialSdkTest, FormatsObjectMetricsWithEveryEntry) {
  nlohmann::json metrics = {{"default", 0.93}, {"loss", 0.21}, {"note", "a \"b\"\n"}};
  EXPECT_EQ(FormatReport(metrics, -1),
            R"(@hone {"type":"final","value":{"default":0.93,"loss":0.21,"note":"a \"b\"\n"}})");
}

TEST(TrialSdkTest, RejectsMetricsWithoutNumericDefault) {
  const nlohmann::json bad[] = {"0.5",
                                nullptr,
                                true,
                                nlohmann::json::array({0.5}),
                                {{"loss", 0.5}},
                                {{"default", "high"}},
                                {{"default", nullptr}}};
  for (const auto& metric : bad) {
    EXPECT_FALSE(IsValidMetric(metric)) << metric.dump();
    EXPECT_THROW(FormatReport(metric, -1), std::invalid_argument) << metric.dump();
  }
  try {
    FormatReport({{"loss", 0.5}}, 2);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "hone::trial: a metric must be a number or an object with a numeric "
                 "\"default\", but got {\"loss\":0.5}");
  }
}

TEST(TrialSdkTest, ReporterNumbersStepsFromZeroAndAfterExplicitSteps) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  Reporter reporter(file);
  reporter.Intermediate(0.5);
  reporter.Intermediate({{"default", 0.25}, {"acc", 1}});
  reporter.Intermediate(1, 5);
  reporter.Intermediate(2);
  EXPECT_THROW(reporter.Intermediate(3, -1), std::invalid_argument);
  EXPECT_THROW(reporter.Final("bad"), std::invalid_argument);
  reporter.Final(0.75);
  EXPECT_EQ(ReadAll(file),
            "@hone {\"type\":\"intermediate\",\"step\":0,\"value\":0.5}\n"
            "@hone {\"type\":\"intermediate\",\"step\":1,\"value\":{\"acc\":1,\"default\":0.25}}\n"
            "@hone {\"type\":\"intermediate\",\"step\":5,\"value\":1}\n"
            "@hone {\"type\":\"intermediate\",\"step\":6,\"value\":2}\n"
            "@hone {\"type\":\"final\",\"value\":0.75}\n");
  std::fclose(file);
}

TEST(TrialSdkTest, ReporterWritesWholeLinesFromManyThreads) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  Reporter reporter(file);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&reporter] {
      for (int i = 0; i < 100; ++i) {
        reporter.Intermediate({{"default", 0.5}, {"pad", std::string(500, 'x')}});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::string text = ReadAll(file);
  std::fclose(file);
  std::set<int64_t> steps;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    ASSERT_NE(end, std::string::npos);
    std::string line = text.substr(begin, end - begin);
    ASSERT_EQ(line.rfind("@hone ", 0), 0u) << line;
    nlohmann::json report = nlohmann::json::parse(line.substr(6));
    steps.insert(report["step"].get<int64_t>());
    begin = end + 1;
  }
  ASSERT_EQ(steps.size(), 400u);
  EXPECT_EQ(*steps.begin(), 0);
  EXPECT_EQ(*steps.rbegin(), 399);
}

TEST(TrialSdkTest, GetParamsPrefersEnvironmentThenParamsJson) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("hone_sdk_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "params.json") << R"({"x": 2.5, "opt": {"_name": "sgd"}})";
  ScopedEnv trial_dir("HONE_TRIAL_DIR", dir.string());
  {
    ScopedEnv params("HONE_PARAMS", R"({"x": 1})");
    EXPECT_EQ(GetParams(), nlohmann::json({{"x", 1}}));
  }
  {
    ScopedEnv params("HONE_PARAMS", std::nullopt);
    EXPECT_EQ(GetParams(), nlohmann::json::parse(R"({"x": 2.5, "opt": {"_name": "sgd"}})"));
    std::filesystem::remove(dir / "params.json");
    EXPECT_THROW(GetParams(), std::runtime_error);
  }
  std::filesystem::remove_all(dir);
}

TEST(TrialSdkTest, GetParamsRejectsAnythingButAJsonObject) {
  for (const char* text : {"{broken", "[1, 2]", "3"}) {
    ScopedEnv params("HONE_PARAMS", text);
    EXPECT_THROW(GetParams(), std::runtime_error) << text;
  }
}

TEST(TrialSdkTest, OutsideHoneParamsAreEmptyAndIdentityIsStandalone) {
  ScopedEnv params("HONE_PARAMS", std::nullopt);
  ScopedEnv dir("HONE_TRIAL_DIR", std::nullopt);
  ScopedEnv id("HONE_TRIAL_ID", std::nullopt);
  ScopedEnv seq("HONE_TRIAL_SEQ", std::nullopt);
  ScopedEnv exp("HONE_EXPERIMENT_ID", std::nullopt);
  ScopedEnv out("HONE_OUTPUT_DIR", std::nullopt);
  EXPECT_FALSE(RunningUnderHone());
  EXPECT_EQ(GetParams(), nlohmann::json::object());
  EXPECT_EQ(TrialId(), "STANDALONE");
  EXPECT_EQ(TrialSeq(), 0);
  EXPECT_EQ(ExperimentId(), "STANDALONE");
  EXPECT_EQ(OutputDir(), ".");
}

TEST(TrialSdkTest, IdentityComesFromTheEnvironment) {
  ScopedEnv params("HONE_PARAMS", "{}");
  ScopedEnv id("HONE_TRIAL_ID", "12");
  ScopedEnv seq("HONE_TRIAL_SEQ", "12");
  ScopedEnv exp("HONE_EXPERIMENT_ID", "abc123");
  ScopedEnv out("HONE_OUTPUT_DIR", "/data/out");
  EXPECT_TRUE(RunningUnderHone());
  EXPECT_EQ(TrialId(), "12");
  EXPECT_EQ(TrialSeq(), 12);
  EXPECT_EQ(ExperimentId(), "abc123");
  EXPECT_EQ(OutputDir(), "/data/out");
}

// The Python SDK, the NNI shim, the C++ header compiled as C++17, and the example trials,
// each run as a real trial process (tests/sdk/*.py).
TEST(TrialSdkTest, PythonSuitePasses) {
  const std::string python = "/usr/bin/python3";
  if (access(python.c_str(), X_OK) != 0) GTEST_SKIP() << python << " is not installed";
  const std::string source = HONE_SOURCE_DIR;
  const std::string command = "cd '" + source + "/tests/sdk' && PYTHONPATH='" + source +
                              "/trials/sdk/python' " + python +
                              " -m unittest discover -s . -p 'test_*.py' 2>&1";
  std::FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  int status = pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status)) << output;
  EXPECT_EQ(WEXITSTATUS(status), 0) << output;
}

}  // namespace
}  // namespace hone::trial
