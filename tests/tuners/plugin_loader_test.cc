// Plugins through both transports: the example C++ plugin loaded with dlopen, and Python
// commands that answer well, answer garbage, crash, hang or report errors.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include <gtest/gtest.h>

#include "tuners/plugin/plugin_algorithms.h"
#include "tuners/plugin/plugin_channel.h"
#include "tests/tuners/tuner_test_util.h"

namespace hone::plugin {
namespace {

using nlohmann::json;
using tuner_test::SucceededTrial;

SearchSpace Space(const char* text) {
  auto space = SearchSpace::FromJson(json::parse(text));
  EXPECT_TRUE(space.ok());
  return space.ok() ? *space : SearchSpace();
}

constexpr const char* kSpace = R"({
  "x": {"_type": "uniform", "_value": [-2, 2]},
  "lr": {"_type": "loguniform", "_value": [0.001, 1]},
  "n": {"_type": "randint", "_value": [1, 8]},
  "q": {"_type": "quniform", "_value": [0, 1, 0.25]},
  "act": {"_type": "choice", "_value": ["relu", "tanh", 3]}})";

// ---- the shared library ----

std::unique_ptr<Tuner> LibraryTuner(const SearchSpace& space, uint64_t seed) {
  PluginSpec spec;
  spec.display = "libhill_climb.so";
  spec.library = HONE_EXAMPLE_PLUGIN;
  TunerContext ctx;
  ctx.space = &space;
  ctx.seed = seed;
  ctx.mode = OptimizeMode::kMinimize;
  ctx.class_args = {{"warmup", 3}};
  return std::make_unique<PluginTuner>("hill", spec, ctx);
}

TEST(PluginLibraryTest, ExamplePluginSuggestsInsideTheSpaceAndLearns) {
  SearchSpace space = Space(kSpace);
  auto tuner = LibraryTuner(space, 5);
  tuner->Update({}, {});
  std::vector<TrialRecord> done;
  std::set<std::string> seen;
  for (int round = 0; round < 6; ++round) {
    auto batch = tuner->Suggest(2);
    ASSERT_TRUE(batch.ok()) << batch.status().message();
    ASSERT_FALSE(batch->empty());
    std::vector<TrialRecord> completed;
    for (auto& c : *batch) {
      std::string why;
      EXPECT_TRUE(space.Contains(c, &why)) << why << " " << c.dump();
      EXPECT_TRUE(seen.insert(c.dump()).second) << "repeated " << c.dump();
      completed.push_back(SucceededTrial(c, static_cast<int64_t>(done.size() + completed.size()), c["x"].get<double>()));
    }
    tuner->Update(completed, {});
    done.insert(done.end(), completed.begin(), completed.end());
  }
}

TEST(PluginLibraryTest, SameSeedSameSuggestions) {
  SearchSpace space = Space(kSpace);
  auto a = LibraryTuner(space, 11), b = LibraryTuner(space, 11), c = LibraryTuner(space, 12);
  auto sa = a->Suggest(3), sb = b->Suggest(3), sc = c->Suggest(3);
  ASSERT_TRUE(sa.ok() && sb.ok() && sc.ok());
  EXPECT_EQ(*sa, *sb);
  EXPECT_NE(*sa, *sc);
}

TEST(PluginLibraryTest, ErrorReplyFailsSuggestWithThePluginsName) {
  SearchSpace space = Space(R"({"x": {"_type": "normal", "_value": [0, 1]}})");
  auto tuner = LibraryTuner(space, 1);
  auto s = tuner->Suggest(1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("plugin tuner 'libhill_climb.so'"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("unsupported _type 'normal'"), std::string::npos) << s.status().message();
}

TEST(PluginLibraryTest, MissingLibraryOrSymbol) {
  EXPECT_FALSE(OpenLibraryChannel("/nonexistent/libnope.so").ok());
  auto libc = OpenLibraryChannel("libm.so.6");
  ASSERT_FALSE(libc.ok());
  EXPECT_NE(libc.status().message().find("hone_plugin_call"), std::string::npos);
}

// ---- commands ----

class PluginCommandTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hone_plugin_cmd_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
    return dir_ + "/" + name;
  }

  PluginSpec Spec(const std::string& script, int timeout_ms = 20000) {
    PluginSpec spec;
    spec.display = script;
    spec.command = "/usr/bin/python3 " + script;
    spec.working_dir = dir_;
    spec.timeout = std::chrono::milliseconds(timeout_ms);
    spec.python_path = std::string(HONE_SOURCE_DIR) + "/trials/sdk/python";
    return spec;
  }

  std::unique_ptr<Tuner> CommandTuner(const PluginSpec& spec, const SearchSpace& space) {
    TunerContext ctx;
    ctx.space = &space;
    ctx.seed = 3;
    return std::make_unique<PluginTuner>("plugin", spec, ctx);
  }

  std::string dir_;
};

constexpr const char* kRandomPy = R"(
from hone.tuner import Tuner, sample, serve

class RandomTuner(Tuner):
    def update(self, completed, active):
        self.told = getattr(self, "told", 0) + len(completed)
    def suggest(self, count):
        print("noise on stdout must not break the protocol")
        return [sample(self.search_space, self.rng) for _ in range(count)]

serve(RandomTuner)
)";

TEST_F(PluginCommandTest, PythonHelperTunerRuns) {
  Write("rnd.py", kRandomPy);
  SearchSpace space = Space(kSpace);
  auto tuner = CommandTuner(Spec("rnd.py"), space);
  tuner->Update({}, {});
  for (int i = 0; i < 3; ++i) {
    auto s = tuner->Suggest(4);
    ASSERT_TRUE(s.ok()) << s.status().message();
    ASSERT_EQ(s->size(), 4u);
    std::vector<TrialRecord> done;
    for (auto& c : *s) {
      std::string why;
      EXPECT_TRUE(space.Contains(c, &why)) << why << " " << c.dump();
      done.push_back(SucceededTrial(c, i, std::numeric_limits<double>::quiet_NaN()));  // NaN travels as "NaN"
    }
    tuner->Update(done, {});
  }
}

TEST_F(PluginCommandTest, GarbageAnswerFails) {
  Write("garbage.py", "import sys\nfor line in sys.stdin:\n    print('hello there', flush=True)\n");
  SearchSpace space = Space(kSpace);
  auto tuner = CommandTuner(Spec("garbage.py"), space);
  auto s = tuner->Suggest(1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("plugin tuner 'garbage.py'"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("garbage"), std::string::npos) << s.status().message();
  EXPECT_FALSE(tuner->Suggest(1).ok());  // stays failed
}

TEST_F(PluginCommandTest, CrashFailsWithExitCode) {
  Write("crash.py",
        "import sys, json\n"
        "for line in sys.stdin:\n"
        "    if json.loads(line)['type'] == 'suggest':\n"
        "        sys.exit(3)\n"
        "    print('{}', flush=True)\n");
  SearchSpace space = Space(kSpace);
  auto tuner = CommandTuner(Spec("crash.py"), space);
  tuner->Update({}, {});
  auto s = tuner->Suggest(1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("plugin tuner 'crash.py'"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("exited with code 3"), std::string::npos) << s.status().message();
}

TEST_F(PluginCommandTest, MissingCommandFails) {
  SearchSpace space = Space(kSpace);
  PluginSpec spec = Spec("x");
  spec.command = "/nonexistent/tuner-binary";
  auto s = CommandTuner(spec, space)->Suggest(1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("exited with code 127"), std::string::npos) << s.status().message();
}

TEST_F(PluginCommandTest, HangFailsAfterTheTimeout) {
  Write("hang.py", "import sys, time\nfor line in sys.stdin:\n    time.sleep(3600)\n");
  SearchSpace space = Space(kSpace);
  auto tuner = CommandTuner(Spec("hang.py", 300), space);
  auto s = tuner->Suggest(2);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("plugin tuner 'hang.py': did not answer 'init' within 0.3 s"),
            std::string::npos)
      << s.status().message();
  // Destroying the tuner kills the hanging process group (the test would block otherwise).
}

TEST_F(PluginCommandTest, ErrorReplyIsReported) {
  Write("err.py",
        "from hone.tuner import Tuner, serve\n"
        "class T(Tuner):\n"
        "    def suggest(self, count):\n"
        "        raise ValueError('no idea what to try')\n"
        "serve(T)\n");
  SearchSpace space = Space(kSpace);
  auto tuner = CommandTuner(Spec("err.py"), space);
  auto s = tuner->Suggest(1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("no idea what to try"), std::string::npos) << s.status().message();
}

TEST_F(PluginCommandTest, ExhaustedEndsTheTuner) {
  Write("two.py",
        "from hone.tuner import Tuner, serve, NoMoreConfigurations\n"
        "class T(Tuner):\n"
        "    n = 0\n"
        "    def suggest(self, count):\n"
        "        if self.n >= 2:\n"
        "            raise NoMoreConfigurations()\n"
        "        self.n += 1\n"
        "        return [{'x': self.n / 10}]\n"
        "serve(T)\n");
  SearchSpace space = Space(R"({"x": {"_type": "uniform", "_value": [0, 1]}})");
  auto tuner = CommandTuner(Spec("two.py"), space);
  EXPECT_TRUE(tuner->Suggest(1).ok());
  EXPECT_TRUE(tuner->Suggest(1).ok());
  auto s = tuner->Suggest(1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kExhausted);
  EXPECT_TRUE(tuner->IsExhausted());
}

TEST_F(PluginCommandTest, NniTunerClassRunsUnchanged) {
  Write("nni_tuner.py",
        "from nni.tuner import Tuner\n"
        "class Counting(Tuner):\n"
        "    def __init__(self, optimize_mode='maximize', start=0):\n"
        "        self.next = start\n"
        "        self.results = {}\n"
        "    def update_search_space(self, search_space):\n"
        "        self.space = search_space\n"
        "    def generate_parameters(self, parameter_id, **kwargs):\n"
        "        self.next += 1\n"
        "        return {'k': self.next % 5}\n"
        "    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):\n"
        "        self.results[parameter_id] = value\n");
  SearchSpace space = Space(R"({"k": {"_type": "choice", "_value": [0, 1, 2, 3, 4]}})");
  PluginSpec spec = Spec("");
  spec.command = "/usr/bin/python3 -m nni.plugin_runner nni_tuner:Counting";
  TunerContext ctx;
  ctx.space = &space;
  ctx.class_args = {{"start", 1}, {"_plugin", {{"command", "ignored"}}}};
  PluginTuner tuner("plugin", spec, ctx);
  auto s = tuner.Suggest(2);
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0]["k"], 2);
  EXPECT_EQ((*s)[1]["k"], 3);
  std::vector<TrialRecord> done = {SucceededTrial((*s)[0], 0, 0.5), SucceededTrial((*s)[1], 1, 0.7)};
  tuner.Update(done, {});
  auto more = tuner.Suggest(1);
  ASSERT_TRUE(more.ok()) << more.status().message();
  EXPECT_EQ((*more)[0]["k"], 4);
}

TEST_F(PluginCommandTest, AssessorPluginStopsAndSurvivesFailure) {
  Write("judge.py",
        "from nni.assessor import Assessor, AssessResult\n"
        "class Judge(Assessor):\n"
        "    def assess_trial(self, trial_job_id, trial_history):\n"
        "        return AssessResult.Bad if trial_history[-1] < 0.5 else AssessResult.Good\n");
  PluginSpec spec = Spec("");
  spec.display = "judge";
  spec.command = "/usr/bin/python3 -m nni.plugin_runner judge:Judge";
  AssessorContext ctx;
  PluginAssessor assessor("judge", spec, ctx);
  TrialRecord t;
  t.status = TrialStatus::kRunning;
  t.intermediate = {{0, 0.9}};
  EXPECT_EQ(assessor.Assess(t, {}), Verdict::kContinue);
  t.intermediate.push_back({1, 0.2});
  EXPECT_EQ(assessor.Assess(t, {}), Verdict::kStop);
  EXPECT_TRUE(assessor.Fault().ok());

  Write("bad.py", "import sys\nsys.exit(1)\n");
  PluginSpec bad = Spec("bad.py");
  PluginAssessor broken("bad", bad, ctx);
  EXPECT_EQ(broken.Assess(t, {}), Verdict::kContinue);
  EXPECT_FALSE(broken.Fault().ok());
  EXPECT_NE(broken.Fault().message().find("plugin assessor 'bad.py'"), std::string::npos);
}

}  // namespace
}  // namespace hone::plugin
