// RunModelCommand with small real shell and Python commands: reports parsed, progress
// echoed, the environment a script sees, and each way a command can fail.
#include "compress/external/model_command.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace hone::compress {
namespace {

namespace fs = std::filesystem;

class ModelCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hone_model_command_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    model_ = (dir_ / "model.pt").string();
    std::ofstream(model_) << "not really a model";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string Read(const std::string& path) {
    std::stringstream s;
    s << std::ifstream(path).rdbuf();
    return s.str();
  }
  // Runs `command` as an evaluator of model_, with progress captured in *progress.
  StatusOr<ModelCommandResult> Evaluate(const std::string& command, std::string* progress = nullptr,
                                        double timeout_s = 0) {
    std::FILE* out = std::tmpfile();
    ModelCommandCall call{.phase = ModelPhase::kEvaluate, .model_path = model_, .step = 2, .progress = out};
    auto r = RunModelCommand({.command = command, .timeout_s = timeout_s}, call);
    std::rewind(out);
    std::string text;
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, out)) > 0) text.append(buffer, n);
    std::fclose(out);
    if (progress) *progress = text;
    return r;
  }

  // The message of evaluating with `command`, which must fail with `code`.
  std::string EvaluateError(const std::string& command, StatusCode code, double timeout_s = 0) {
    auto r = Evaluate(command, nullptr, timeout_s);
    EXPECT_FALSE(r.ok()) << command;
    if (r.ok()) return "";
    EXPECT_EQ(r.status().code(), code) << r.status().message();
    return r.status().message();
  }

  fs::path dir_;
  std::string model_;
};

TEST_F(ModelCommandTest, FinalReportGivesTheDefaultMetric) {
  auto r = Evaluate(R"(echo loading; echo '@hone {"type":"final","value":{"default":0.93,"loss":0.21}}')");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_TRUE(r->value.has_value());
  EXPECT_DOUBLE_EQ(*r->value, 0.93);
  EXPECT_DOUBLE_EQ(r->metrics["loss"].get<double>(), 0.21);
}

TEST_F(ModelCommandTest, ScalarFinalReportAndLastFinalWins) {
  auto r = Evaluate(R"(echo '@hone {"type":"final","value":0.5}'; printf '@hone {"type":"final","value":0.75}')");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_DOUBLE_EQ(r->value.value_or(-1), 0.75);  // the last line had no '\n' and still counts
}

TEST_F(ModelCommandTest, IntermediateReportsAndLogLinesAreEchoed) {
  std::string progress;
  auto r = Evaluate(R"(echo '@hone {"type":"intermediate","step":3,"value":0.81}'; echo 'batch 7 done';)"
                    R"( echo '@hone {"type":"final"}'; echo '@hone {"type":"final","value":0.9}')",
                    &progress);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->intermediate_reports, 1);
  EXPECT_NE(progress.find("evaluator step 3: 0.81"), std::string::npos) << progress;
  EXPECT_NE(progress.find("| batch 7 done"), std::string::npos) << progress;
  EXPECT_NE(progress.find("warning: ignored a malformed report"), std::string::npos) << progress;
  EXPECT_NE(progress.find("evaluator final: 0.9"), std::string::npos) << progress;
}

TEST_F(ModelCommandTest, ScriptSeesModelPathParamsAndScratchFolder) {
  const std::string seen = Path("seen.txt");
  const std::string command = "echo \"$HONE_MODEL_PATH|$HONE_OUTPUT_MODEL_PATH|$HONE_PARAMS|$(cat $HONE_TRIAL_DIR/params.json)|"
                              "$HONE_TRIAL_DIR|$HONE_OUTPUT_DIR\" > " + seen + R"(; echo '@hone {"type":"final","value":1}')";
  auto r = Evaluate(command);
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::string text = Read(seen);
  std::vector<std::string> parts;
  std::stringstream s(text.substr(0, text.find('\n')));
  for (std::string part; std::getline(s, part, '|');) parts.push_back(part);
  ASSERT_EQ(parts.size(), 6u) << text;
  EXPECT_EQ(parts[0], model_);
  EXPECT_EQ(parts[1], "");  // an evaluator has no output model
  auto params = nlohmann::json::parse(parts[2]);
  EXPECT_EQ(params["model"], model_);
  EXPECT_EQ(params["phase"], "evaluate");
  EXPECT_EQ(params["step"], 2);
  EXPECT_FALSE(params.contains("output_model"));
  EXPECT_EQ(nlohmann::json::parse(parts[3]), params);
  EXPECT_EQ(parts[5], parts[4] + "/output");
  EXPECT_FALSE(fs::exists(parts[4])) << "the scratch folder is removed after the run";
}

TEST_F(ModelCommandTest, PythonSdkScriptWorksUnchanged) {
  const std::string script = Path("eval.py");
  std::ofstream(script) << "import hone\n"
                           "p = hone.get_params()\n"
                           "hone.report_intermediate(0.25)\n"
                           "hone.report_final({'default': 0.5 + p['step'], 'phase': p['phase']})\n";
  ModelCommandCall call{.phase = ModelPhase::kFinetune, .model_path = model_,
                        .output_model_path = Path("out.pt"), .step = 3,
                        .python_path = std::string(HONE_SOURCE_DIR) + "/trials/sdk/python"};
  auto r = RunModelCommand({.command = "cp \"$HONE_MODEL_PATH\" \"$HONE_OUTPUT_MODEL_PATH\" && /usr/bin/python3 " + script},
                           call);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_DOUBLE_EQ(r->value.value_or(-1), 3.5);
  EXPECT_EQ(r->metrics["phase"], "finetune");
  EXPECT_EQ(r->intermediate_reports, 1);
}

TEST_F(ModelCommandTest, NonZeroExitIsAnErrorWithTheStderrTail) {
  const std::string m = EvaluateError(
      R"(echo '@hone {"type":"final","value":0.9}'; echo 'Traceback: ValueError: bad' >&2; exit 3)", StatusCode::kIo);
  EXPECT_NE(m.find("exit code 3"), std::string::npos) << m;
  EXPECT_NE(m.find("ValueError: bad"), std::string::npos) << m;
}

TEST_F(ModelCommandTest, KilledBySignalIsAnError) {
  auto r = Evaluate("kill -9 $$");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("signal 9"), std::string::npos) << r.status().message();
}

TEST_F(ModelCommandTest, EvaluatorWithoutFinalReportIsAnError) {
  const std::string m = EvaluateError(
      R"(echo 'accuracy 0.9'; echo '@hone {"type":"intermediate","value":0.5}'; echo done >&2)",
      StatusCode::kFailedPrecondition);
  EXPECT_NE(m.find("without a final report"), std::string::npos) << m;
  EXPECT_NE(m.find("done"), std::string::npos) << m;
}

TEST_F(ModelCommandTest, FinetunerMustWriteTheOutputModel) {
  const std::string out = Path("tuned.pt");
  std::ofstream(out) << "stale";  // left from an earlier run: must not count
  ModelCommandCall call{.phase = ModelPhase::kFinetune, .model_path = model_, .output_model_path = out, .step = 1};
  auto missing = RunModelCommand({.command = "echo tuning"}, call);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("HONE_OUTPUT_MODEL_PATH"), std::string::npos) << missing.status().message();

  auto written = RunModelCommand({.command = "cp \"$HONE_MODEL_PATH\" \"$HONE_OUTPUT_MODEL_PATH\""}, call);
  ASSERT_TRUE(written.ok()) << written.status().message();
  EXPECT_FALSE(written->value.has_value());  // a fine-tuner need not report
  EXPECT_EQ(Read(out), "not really a model");
}

bool Gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  // Reparented and not yet reaped: a zombie has ended too.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

TEST_F(ModelCommandTest, TimeoutKillsTheWholeProcessGroup) {
  const std::string pid_file = Path("grandchild.pid");
  const std::string m =
      EvaluateError("sleep 60 & echo $! > " + pid_file + "; echo waiting >&2; wait", StatusCode::kUnavailable, 0.5);
  EXPECT_NE(m.find("did not finish within 0.5 s"), std::string::npos) << m;
  EXPECT_NE(m.find("waiting"), std::string::npos) << m;
  pid_t grandchild = std::stoi(Read(pid_file));
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = Gone(grandchild);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone) << "the background sleep (pid " << grandchild << ") outlived the timeout";
  if (!gone) ::kill(grandchild, SIGKILL);
}

TEST_F(ModelCommandTest, CommandThatCannotRunIsAnError) {
  auto r = Evaluate("/nonexistent/evaluator --flag");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot start /nonexistent/evaluator"), std::string::npos)
      << r.status().message();
  auto shell = Evaluate("cd /nonexistent && ./evaluate");
  ASSERT_FALSE(shell.ok());
  EXPECT_NE(shell.status().message().find("exit code 2"), std::string::npos) << shell.status().message();
  auto empty = RunModelCommand({}, {.model_path = model_});
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hone::compress
