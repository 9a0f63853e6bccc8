// End-to-end: tuner plugins (a Python command, an NNI tuner class, a C++ shared library,
// a registered plugin) drive real experiments; a crashing plugin fails the experiment
// without losing what was recorded, and resume finishes it once the plugin is fixed.
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "e2e_util.h"

namespace hone::e2e {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Replace(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

std::string Example(const std::string& rel) { return Read(std::string(HONE_SOURCE_DIR) + "/examples/" + rel); }

std::string LibraryPath() { return std::string(HONE_BUILD_DIR) + "/examples/plugin-cpp/libhill_climb.so"; }

int CountStatus(const nlohmann::json& trials, const std::string& status) {
  int n = 0;
  for (const auto& t : trials) n += t["status"] == status;
  return n;
}

// Copies an example's files into the work dir, using /usr/bin/python3 throughout.
std::string CopyExample(HoneEnv& env, const std::string& folder, const std::string& yaml,
                        const std::vector<std::string>& files) {
  for (const auto& f : files) env.WriteFile(f, Example(folder + "/" + f));
  std::string text = Example(folder + "/" + yaml);
  Replace(text, "python3 ", "/usr/bin/python3 ");
  Replace(text, "../../build/examples/plugin-cpp/libhill_climb.so", LibraryPath());
  Replace(text, "trialCodeDirectory: ../plugin-python", "trialCodeDirectory: .");
  return env.WriteFile(yaml, text);
}

// Runs an example experiment; its trials as exported, or none when the run failed.
nlohmann::json RunExample(HoneEnv& env, const std::string& folder, const std::string& yaml,
                          const std::vector<std::string>& files) {
  RunResult r = env.Run({"run", CopyExample(env, folder, yaml, files)}, 300);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  if (r.exit_code != 0) return nlohmann::json::array();
  return env.ExportJson(env.OnlyExperimentId());
}

TEST(PluginTest, PythonTunerPluginRunsAnExperiment) {
  HoneEnv env;
  nlohmann::json trials = RunExample(env, "plugin-python", "exp.yaml", {"my_tuner.py", "trial.py"});
  ASSERT_EQ(trials.size(), 16u);
  EXPECT_EQ(CountStatus(trials, "succeeded"), 16);
  std::set<std::string> distinct;
  for (const auto& t : trials) distinct.insert(t["parameters"].dump());
  EXPECT_EQ(distinct.size(), 16u);
}

TEST(PluginTest, NniTunerClassRunsUnchanged) {
  HoneEnv env;
  nlohmann::json trials = RunExample(env, "plugin-python", "exp-nni.yaml", {"nni_tuner.py", "trial.py"});
  ASSERT_EQ(trials.size(), 16u);
  EXPECT_EQ(CountStatus(trials, "succeeded"), 16);
}

TEST(PluginTest, CppLibraryPluginRunsAnExperiment) {
  HoneEnv env;
  env.WriteFile("trial.py", Example("plugin-python/trial.py"));  // the example shares plugin-python's trial
  nlohmann::json trials = RunExample(env, "plugin-cpp", "exp.yaml", {});
  ASSERT_EQ(trials.size(), 16u);
  EXPECT_EQ(CountStatus(trials, "succeeded"), 16);
}

TEST(PluginTest, RegisteredPluginWorksByName) {
  HoneEnv env;
  RunResult reg = env.Run({"algo", "register", "--name", "hill", "--kind", "tuner", "--library", LibraryPath(),
                           "--summary", "hill climbing"});
  ASSERT_EQ(reg.exit_code, 0) << reg.out << reg.err;
  EXPECT_NE(env.Run({"algo", "register", "--name", "hill", "--library", LibraryPath()}).exit_code, 0);
  EXPECT_NE(env.Run({"algo", "register", "--name", "random", "--library", LibraryPath()}).exit_code, 0);
  RunResult list = env.Run({"algo", "list"});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find("hill"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("hill climbing"), std::string::npos) << list.out;

  std::string config = Config("/usr/bin/python3 -c 'import hone; hone.report_final(hone.get_params()[\"x\"])'", 2, 5,
                              "  x: {_type: uniform, _value: [0, 1]}\n");
  Replace(config, "  name: random\n  classArgs: {optimize_mode: maximize}", "  name: hill\n  classArgs: {warmup: 2}");
  RunResult r = env.Run({"run", env.WriteFile("exp.yaml", config)}, 120);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(CountStatus(env.ExportJson(env.OnlyExperimentId()), "succeeded"), 5);

  ASSERT_EQ(env.Run({"algo", "unregister", "hill"}).exit_code, 0);
  EXPECT_EQ(env.Run({"algo", "list"}).out.find("hill"), std::string::npos);
  EXPECT_NE(env.Run({"algo", "unregister", "hill"}).exit_code, 0);
}

constexpr const char* kFlakyTuner = R"(
import sys
from hone.tuner import Tuner, serve

CRASH_AFTER = %d

class Flaky(Tuner):
    handed = 0
    def update(self, completed, active):
        self.handed = max([self.handed] + [t["config_id"] + 1 for t in completed + active])
    def suggest(self, count):
        if CRASH_AFTER and self.handed >= CRASH_AFTER:
            sys.stderr.write("flaky tuner: giving up\n")
            sys.exit(5)
        self.handed += 1
        return [{"x": self.handed / 10}]

serve(Flaky)
)";

std::string FlakyTuner(int crash_after) {
  char buf[1024];
  std::snprintf(buf, sizeof buf, kFlakyTuner, crash_after);
  return buf;
}

TEST(PluginTest, CrashingPluginFailsTheExperimentAndResumeFinishesIt) {
  HoneEnv env;
  env.WriteFile("flaky.py", FlakyTuner(3));
  std::string config = Config("/usr/bin/python3 -c 'import hone; hone.report_final(hone.get_params()[\"x\"])'", 1, 6,
                              "  x: {_type: uniform, _value: [0, 1]}\n");
  Replace(config, "  name: random\n  classArgs: {optimize_mode: maximize}",
          "  plugin: /usr/bin/python3 flaky.py\n  classArgs: {optimize_mode: maximize}");
  auto cfg = env.WriteFile("exp.yaml", config);
  RunResult r = env.Run({"run", cfg}, 120);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("plugin tuner '/usr/bin/python3 flaky.py'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("exited with code 5"), std::string::npos) << r.err;
  std::string id = env.OnlyExperimentId();
  auto status = env.Query(id, "SELECT value FROM meta WHERE key = 'status'");
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0]["value"], "failed");
  nlohmann::json trials = env.ExportJson(id);
  EXPECT_EQ(CountStatus(trials, "succeeded"), 3) << trials.dump();

  env.WriteFile("flaky.py", FlakyTuner(0));  // fixed
  RunResult resumed = env.Run({"resume", id}, 120);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  trials = env.ExportJson(id);
  EXPECT_EQ(CountStatus(trials, "succeeded"), 6) << trials.dump();
}

}  // namespace
}  // namespace hone::e2e
