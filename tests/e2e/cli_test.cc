// End-to-end: exit codes, --help on every command, config errors on stderr.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "e2e_util.h"

namespace hone::e2e {
namespace {

TEST(CliTest, HelpWorksForEveryCommand) {
  HoneEnv env;
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--help"}, {"run", "--help"}, {"create", "--help"}, {"resume", "--help"}, {"stop", "--help"},
           {"experiment", "--help"}, {"experiment", "list", "--help"}, {"experiment", "show", "--help"},
           {"experiment", "export", "--help"}, {"experiment", "delete", "--help"}, {"experiment", "update", "--help"}, {"trial", "--help"},
           {"trial", "ls", "--help"}, {"trial", "log", "--help"}, {"trial", "kill", "--help"},
           {"algo", "--help"}, {"algo", "register", "--help"}, {"algo", "list", "--help"},
           {"algo", "unregister", "--help"}}) {
    RunResult r = env.Run(args);
    EXPECT_EQ(r.exit_code, 0) << args[0];
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << args[0] << ": " << r.out;
  }
}

TEST(CliTest, UsageErrorsExitWithTwo) {
  HoneEnv env;
  EXPECT_EQ(env.Run({}).exit_code, 2);
  EXPECT_EQ(env.Run({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(env.Run({"run"}).exit_code, 2);
  EXPECT_EQ(env.Run({"experiment", "export", "nosuchid", "--format", "xml"}).exit_code, 2);
}

TEST(CliTest, ConfigErrorsPrintFileLineColumnAndExitWithTwo) {
  HoneEnv env;
  auto cfg = env.WriteFile("bad.yaml",
                           "searchSpace:\n  lr: {_type: uniform, _value: [1, 0]}\n"
                           "trialCommand: python3 t.py\ntrialConcurency: 2\n");
  RunResult r = env.Run({"run", cfg});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.yaml:2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean 'trialConcurrency'"), std::string::npos) << r.err;
  EXPECT_EQ(env.Run({"run", env.work() + "/missing.yaml"}).exit_code, 2);
}

// Hostile configs (an alias bomb, a 64-bit overflow, text that is not UTF-8) are refused
// before anything is written under HONE_HOME.
TEST(CliTest, RefusedConfigsWriteNothingUnderHoneHome) {
  HoneEnv env;
  std::string bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ",*" : "*") + static_cast<char>(c - 1);
    bomb += "]\n";
  }
  const std::string base = "searchSpace:\n  x: {_type: uniform, _value: [0, 1]}\ntrialCommand: 'true'\n";
  for (const std::string& text : {bomb, base + "trialConcurrency: 4294967297\n",
                                  base + "trialConcurrency: 1\nexperimentName: \"\xbd\"\n"}) {
    for (const char* command : {"create", "run"}) {
      RunResult r = env.Run({command, env.WriteFile("bad.yaml", text)});
      EXPECT_EQ(r.exit_code, 2) << command << "\n" << r.err;
      EXPECT_FALSE(std::filesystem::exists(env.home() + "/experiments")) << command << "\n" << text;
    }
  }
}

TEST(CliTest, ImpossibleGpuRequestFailsAtStart) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config("true", 1, 1, "  x: {_type: uniform, _value: [0, 1]}\n",
                                              "trialGpuNumber: 64\n"));
  RunResult r = env.Run({"run", cfg}, 30);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("GPU"), std::string::npos) << r.err;
}

TEST(CliTest, UnknownExperimentIsAnError) {
  HoneEnv env;
  RunResult r = env.Run({"experiment", "show", "doesnotexist"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("doesnotexist"), std::string::npos) << r.err;
}

TEST(CliTest, ShowListExportDelete) {
  HoneEnv env;
  auto cfg = env.WriteFile("exp.yaml", Config("/usr/bin/python3 -c 'import hone; hone.report_final(hone.get_params()[\"x\"])'", 2, 3,
                                              "  x: {_type: uniform, _value: [0, 1]}\n"));
  ASSERT_EQ(env.Run({"run", cfg}).exit_code, 0);
  std::string id = env.OnlyExperimentId();
  RunResult show = env.Run({"experiment", "show", id.substr(0, 4)});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("3 succeeded"), std::string::npos) << show.out;
  RunResult csv = env.Run({"experiment", "export", id, "--format", "csv"});
  EXPECT_EQ(csv.exit_code, 0);
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 4) << csv.out;
  EXPECT_NE(csv.out.find("param.x"), std::string::npos);
  RunResult ls = env.Run({"trial", "ls", id});
  EXPECT_EQ(ls.exit_code, 0);
  RunResult del = env.Run({"experiment", "delete", id, "--yes"});
  EXPECT_EQ(del.exit_code, 0) << del.err;
  RunResult list = env.Run({"experiment", "list"});
  EXPECT_EQ(list.out.find(id), std::string::npos);
}

}  // namespace
}  // namespace hone::e2e

namespace hone::e2e {
namespace {

TEST(ExamplesTest, NniCompatExampleRunsUnchanged) {
  HoneEnv env;
  RunResult r = env.Run({"run", std::string(HONE_SOURCE_DIR) + "/examples/nni-compat/exp.yaml"}, 300);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  int succeeded = 0, stopped = 0;
  for (const auto& t : env.ExportJson(env.OnlyExperimentId())) {
    succeeded += t["status"] == "succeeded";
    stopped += t["status"] == "early_stopped";
  }
  EXPECT_EQ(succeeded + stopped, 10);
  EXPECT_GE(succeeded, 1);
}

TEST(ExamplesTest, CppTrialExampleRuns) {
  HoneEnv env;
  std::string binary = std::string(HONE_BUILD_DIR) + "/examples/cpp-trial/hone_example_cpp_trial";
  // The example's YAML points at the default build tree; run a copy against this one.
  std::string yaml = std::string(HONE_SOURCE_DIR) + "/examples/cpp-trial/exp.yaml";
  std::ifstream in(yaml);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::string from = "../../build/examples/cpp-trial/hone_example_cpp_trial";
  text.replace(text.find(from), from.size(), binary);
  auto cfg = env.WriteFile("exp.yaml", text);
  RunResult r = env.Run({"run", cfg}, 120);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  nlohmann::json trials = env.ExportJson(env.OnlyExperimentId());
  ASSERT_EQ(trials.size(), 20u);
  for (const auto& t : trials) {
    EXPECT_EQ(t["status"], "succeeded") << t.dump();
    EXPECT_TRUE(t["parameters"]["optimizer"].contains("_name"));
  }
}

}  // namespace
}  // namespace hone::e2e
