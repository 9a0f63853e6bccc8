// End-to-end: tuner plugins (a Python command, an NNI tuner class, a C++ shared library,
// a registered plugin) drive real experiments; a crashing plugin fails the experiment
// without losing what was recorded, and resume finishes it once the plugin is fixed.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "e2e_util.h"

namespace hone::e2e {
namespace {

void Replace(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

std::string Example(const std::string& rel) { return ReadFile(std::string(HONE_SOURCE_DIR) + "/examples/" + rel); }

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

// An NNI custom tuner in the style of NNI's own example (DemoTuner): a Tuner subclass and
// a ClassArgsValidator in one module, numpy for sampling. It also writes down the search
// space and the results it is given, for the test to compare.
constexpr const char* kDemoStyleTuner = R"(import json
import random

import numpy as np
from nni.tuner import Tuner
from nni.utils import ClassArgsValidator, OptimizeMode, extract_scalar_reward


class CoinTuner(Tuner):
    def __init__(self, optimize_mode='maximize', coins=2):
        self.optimize_mode = OptimizeMode(optimize_mode)
        self.coins = coins

    def update_search_space(self, search_space):
        self._space = search_space
        with open('space.json', 'w') as f:
            json.dump(search_space, f)

    def generate_parameters(self, parameter_id, **kwargs):
        params = {}
        for k in self._space:
            t, v = self._space[k]['_type'], self._space[k]['_value']
            if t == 'choice':
                params[k] = random.choice(v)
            elif t == 'randint':
                params[k] = random.choice(range(v[0], v[1]))
            elif t == 'uniform':
                params[k] = np.random.uniform(v[0], v[1])
            elif t == 'layer_choice':
                index = random.randrange(len(v))
                params[k] = {'_value': v[index], '_idx': index}
            else:
                raise RuntimeError('parameter type {} is not supported by CoinTuner!'.format(t))
        return params

    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
        extract_scalar_reward(value)
        with open('received.jsonl', 'a') as f:
            f.write(json.dumps({'id': parameter_id, 'value': value}) + '\n')


class CoinArgsValidator(ClassArgsValidator):
    def validate_class_args(self, **kwargs):
        if 'optimize_mode' in kwargs:
            assert kwargs['optimize_mode'] in ['maximize', 'minimize'], \
                'optimize_mode {} is invalid!'.format(kwargs['optimize_mode'])
)";

// The tuner imports numpy, which Debian's /usr/bin/python3 has: put it first on PATH
// for the `python3` hone starts the class with.
class UsrBinPythonFirst {
 public:
  UsrBinPythonFirst() : old_(std::getenv("PATH") ? std::getenv("PATH") : "") {
    setenv("PATH", ("/usr/bin:" + old_).c_str(), 1);
  }
  ~UsrBinPythonFirst() { setenv("PATH", old_.c_str(), 1); }

 private:
  std::string old_;
};

constexpr const char* kCoinTrial = R"(import nni
p = nni.get_next_parameter()
s = p['x'] + p['n'] + len(p['block']['_value'])
nni.report_final_result({'default': s, 'loss': -s})
)";

std::string CoinConfig(const std::string& optimize_mode) {
  return "searchSpace:\n"
         "  x: {_type: uniform, _value: [0, 1]}\n"
         "  n: {_type: randint, _value: [1, 4]}\n"
         "  block: {_type: layer_choice, _value: [conv3x3, conv5x5, maxpool]}\n"
         "trialCommand: /usr/bin/python3 trial.py\n"
         "trialConcurrency: 2\n"
         "maxTrialNumber: 6\n"
         "tuner:\n"
         "  className: coin_tuner.CoinTuner\n"
         "  codeDirectory: tuners\n"
         "  classArgs:\n"
         "    optimize_mode: " + optimize_mode + "\n"
         "    coins: 3\n"
         "trainingService:\n"
         "  platform: local\n";
}

TEST(PluginTest, NniCustomTunerByClassNameRunsUnmodified) {
  HoneEnv env;
  UsrBinPythonFirst python;
  std::filesystem::create_directories(env.work() + "/tuners");
  env.WriteFile("tuners/coin_tuner.py", kDemoStyleTuner);
  env.WriteFile("trial.py", kCoinTrial);
  RunResult r = env.Run({"run", env.WriteFile("exp.yaml", CoinConfig("maximize"))}, 300);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("passed as written to the plugin tuner: 'block' (_type 'layer_choice')"), std::string::npos)
      << r.err;

  nlohmann::json trials = env.ExportJson(env.OnlyExperimentId());
  ASSERT_EQ(trials.size(), 6u);
  EXPECT_EQ(CountStatus(trials, "succeeded"), 6) << trials.dump();
  const std::set<std::string> blocks = {"conv3x3", "conv5x5", "maxpool"};
  for (const auto& t : trials) {
    const auto& block = t["parameters"]["block"];
    ASSERT_TRUE(block.is_object()) << t.dump();
    EXPECT_TRUE(blocks.count(block["_value"].get<std::string>())) << t.dump();
    EXPECT_EQ(block["_idx"], block["_value"] == "conv3x3" ? 0 : block["_value"] == "conv5x5" ? 1 : 2);
  }

  // update_search_space got the space as written, the layer_choice included.
  nlohmann::json space = nlohmann::json::parse(ReadFile(env.work() + "/tuners/space.json"), nullptr, false);
  EXPECT_EQ(space["block"], nlohmann::json::parse(R"({"_type":"layer_choice","_value":["conv3x3","conv5x5","maxpool"]})"))
      << space.dump();
  EXPECT_EQ(space["n"], nlohmann::json::parse(R"({"_type":"randint","_value":[1,4]})")) << space.dump();

  // receive_trial_result got each reported dict, every key kept.
  std::istringstream received(ReadFile(env.work() + "/tuners/received.jsonl"));
  std::string line;
  int lines = 0;
  while (std::getline(received, line)) {
    nlohmann::json got = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(got["value"].is_object()) << line;
    EXPECT_DOUBLE_EQ(got["value"]["loss"].get<double>(), -got["value"]["default"].get<double>()) << line;
    ++lines;
  }
  EXPECT_EQ(lines, 6);
}

TEST(PluginTest, NniClassArgsValidatorRejectsBadClassArgs) {
  HoneEnv env;
  UsrBinPythonFirst python;
  std::filesystem::create_directories(env.work() + "/tuners");
  env.WriteFile("tuners/coin_tuner.py", kDemoStyleTuner);
  RunResult r = env.Run({"run", env.WriteFile("exp.yaml", CoinConfig("maximise"))}, 120);
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("plugin tuner 'python3 -m nni.plugin_runner coin_tuner:CoinTuner'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("optimize_mode maximise is invalid!"), std::string::npos) << r.err;
  EXPECT_EQ(env.ExportJson(env.OnlyExperimentId()).size(), 0u);
}

}  // namespace
}  // namespace hone::e2e
