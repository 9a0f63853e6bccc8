// User evaluator and fine-tuner commands in `hone compress`: the prune YAML's evaluator
// and finetuner, fine-tuned parameters copied back by name, and the example Python
// script of examples/compress-evaluator through the real executable.
#include <cmath>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "compress/prune/prune_schedule.h"
#include "compress/zoo/model_zoo.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::Compress;
using testing::ScratchDir;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int CountLines(const std::string& text, const std::string& line) {
  std::stringstream s(text);
  int n = 0;
  for (std::string l; std::getline(s, l);) n += l == line;
  return n;
}

// The example's evaluator/fine-tuner, logging each run as "PHASE STEP" to `log`.
std::string ExampleCommand(const std::string& log, const std::string& options) {
  return std::string(HONE_PYTHON) + " " + HONE_SOURCE_DIR +
         "/examples/compress-evaluator/fashion_mnist_model.py --threads 1 --log " + log + " " + options;
}

ScriptModel Zoo(int64_t width) {
  auto m = BuildZooModel({.name = "cnn2", .base_width = width, .seed = 1});
  EXPECT_TRUE(m.ok()) << m.status().message();
  return std::move(*m);
}

TEST(ModelCommandConfigTest, ParsesEvaluatorAndFinetuner) {
  PruneConfig c = testing::Config(R"(pruner: l1
config_list: [{sparse_ratio: 0.5}]
evaluator: {command: "python3 eval.py --subset 100", timeout_s: 60}
finetuner: python3 tune.py
)");
  EXPECT_EQ(c.evaluator.command, "python3 eval.py --subset 100");
  EXPECT_EQ(c.evaluator.timeout_s, 60);
  EXPECT_EQ(c.finetuner.command, "python3 tune.py");
  EXPECT_EQ(c.finetuner.timeout_s, 0);

  OverrideModelCommand(c.evaluator, {.command = "", .timeout_s = -1});
  EXPECT_EQ(c.evaluator.command, "python3 eval.py --subset 100");
  OverrideModelCommand(c.evaluator, {.command = "./other", .timeout_s = 5});
  EXPECT_EQ(c.evaluator.command, "./other");
  EXPECT_EQ(c.evaluator.timeout_s, 5);
}

TEST(ModelCommandConfigTest, ReportsEveryBadEntryWithItsPosition) {
  const std::string m = testing::ConfigError(R"(pruner: l1
config_list: [{sparse_ratio: 0.5}]
evaluator: {timeout_s: -3, cmd: x}
finetuner: [a, b]
)", "prune.yaml");
  EXPECT_NE(m.find("prune.yaml:3:24: error: evaluator.timeout_s: must be a number >= 0, but got '-3'"),
            std::string::npos) << m;
  EXPECT_NE(m.find("prune.yaml:3:28: error: evaluator.cmd: is not a key of evaluator (command, timeout_s)"),
            std::string::npos) << m;
  EXPECT_NE(m.find("prune.yaml:3:12: error: evaluator.command: is required"), std::string::npos) << m;
  EXPECT_NE(m.find("prune.yaml:4:12: error: finetuner: must be a command or a map"), std::string::npos) << m;
}

TEST(ModelCommandFinetuneTest, CopiesStateByNameAndRejectsAnotherStructure) {
  ScratchDir dir("finetune_copy");
  ScriptModel model = Zoo(8);
  ScriptModel other = Zoo(8);
  torch::NoGradGuard no_grad;
  TensorAttr(ModuleOf(other), "conv1", "weight").fill_(0.5);
  ASSERT_TRUE(other.Save(dir / "other.pt").ok());
  // A "fine-tuner" that answers with another model of the same structure.
  Status copied = FinetuneWithCommand(model, {.command = "cp " + (dir / "other.pt") + " \"$HONE_OUTPUT_MODEL_PATH\""},
                                      1, {});
  ASSERT_TRUE(copied.ok()) << copied.message();
  EXPECT_TRUE(TensorAttr(ModuleOf(model), "conv1", "weight").eq(0.5).all().item<bool>());

  ASSERT_TRUE(Zoo(4).Save(dir / "narrow.pt").ok());
  Status narrow = FinetuneWithCommand(model, {.command = "cp " + (dir / "narrow.pt") + " \"$HONE_OUTPUT_MODEL_PATH\""},
                                      2, {});
  ASSERT_FALSE(narrow.ok());
  EXPECT_NE(narrow.message().find("conv1.weight has shape [4, 1, 3, 3] where the pruned model's has [8, 1, 3, 3]"),
            std::string::npos) << narrow.message();
  EXPECT_TRUE(TensorAttr(ModuleOf(model), "conv1", "weight").eq(0.5).all().item<bool>()) << "nothing copied";

  Status failed = FinetuneWithCommand(model, {.command = "echo 'out of memory' >&2; exit 4"}, 1, {});
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("exit code 4"), std::string::npos) << failed.message();
  EXPECT_NE(failed.message().find("out of memory"), std::string::npos) << failed.message();
}

TEST(ModelCommandCliTest, EvaluatorFailureIsTheCommandsError) {
  ScratchDir dir("evaluator_fail");
  auto zoo = Compress("zoo cnn2 --width 4 --out " + (dir / "m.pt"));
  ASSERT_EQ(zoo.code, 0) << zoo.output;
  auto r = Compress("evaluate " + (dir / "m.pt") + " --evaluator 'echo Traceback >&2; exit 3'");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("evaluator `echo Traceback >&2; exit 3` failed with exit code 3"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("Traceback"), std::string::npos) << r.output;
  auto both = Compress("evaluate " + (dir / "m.pt") + " --evaluator true --data fashion-mnist");
  EXPECT_EQ(both.code, 2) << both.output;
}

// The example evaluator counts the same correct images as the in-process evaluation.
TEST(ModelCommandCliSlowTest, ExampleEvaluatorMatchesInProcessAccuracy) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ScratchDir dir("evaluator_cli");
  auto train = Compress("train --model cnn2 --width 8 --epochs 1 --train-subset 1000 --test-subset 100 "
                        "--batch-size 32 --threads 1 --out " + (dir / "m.pt"));
  ASSERT_EQ(train.code, 0) << train.output;
  auto in_process = Compress("evaluate " + (dir / "m.pt") + " --data fashion-mnist --test-subset 1000 --threads 1");
  ASSERT_EQ(in_process.code, 0) << in_process.output;
  auto by_command = Compress("evaluate " + (dir / "m.pt") + " --evaluator \"" +
                             ExampleCommand(dir / "log.txt", "--test-subset 1000") + "\"");
  ASSERT_EQ(by_command.code, 0) << by_command.output;

  size_t at = in_process.output.find("(1000 images): accuracy ");
  ASSERT_NE(at, std::string::npos) << in_process.output;
  double percent = std::stod(in_process.output.substr(at + 24));
  at = by_command.output.find("(correct ");
  ASSERT_NE(at, std::string::npos) << by_command.output;
  int correct = std::stoi(by_command.output.substr(at + 9));
  EXPECT_EQ(correct, std::lround(percent * 10)) << in_process.output << by_command.output;
  EXPECT_GT(correct, 300) << "a trained model: the comparison is not between two chance levels";
  at = by_command.output.find(": score ");
  ASSERT_NE(at, std::string::npos) << by_command.output;
  EXPECT_NEAR(std::stod(by_command.output.substr(at + 8)), correct / 1000.0, 1e-6);
  EXPECT_EQ(Read(dir / "log.txt"), "evaluate 0\n");
}

at::Tensor Weight(const ScriptModel& m, const std::string& layer) {
  return TensorAttr(ModuleOf(m), layer, "weight");
}

// An iterative schedule runs the YAML's fine-tuner after every step; the pruned filters
// stay exactly zero and the kept ones are the fine-tuner's.
TEST(ModelCommandCliSlowTest, IterativeScheduleFineTunesEveryStep) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ScratchDir dir("finetuner_cli");
  auto zoo = Compress("zoo cnn2 --width 8 --seed 3 --out " + (dir / "m.pt"));
  ASSERT_EQ(zoo.code, 0) << zoo.output;
  const std::string log = dir / "log.txt";
  std::ofstream(dir / "prune.yaml") << "pruner: l1\n"
                                       "config_list: [{op_types: [Conv2d], sparse_ratio: 0.5}]\n"
                                       "schedule: {kind: iterative, steps: 2}\n"
                                       "finetuner: {command: '" << ExampleCommand(log, "--train-subset 256")
                                    << "', timeout_s: 300}\n";
  auto prune = Compress("prune " + (dir / "m.pt") + " --config " + (dir / "prune.yaml") + " --out " +
                        (dir / "p.pt") + " --report " + (dir / "p.json") + " --threads 1 --evaluator \"" +
                        ExampleCommand(log, "--test-subset 300") + "\"");
  ASSERT_EQ(prune.code, 0) << prune.output;
  const std::string runs = Read(log);
  EXPECT_EQ(runs, "evaluate 0\nfinetune 1\nevaluate 1\nfinetune 2\nevaluate 2\nevaluate 2\n");
  EXPECT_EQ(CountLines(runs, "finetune 1") + CountLines(runs, "finetune 2"), 2);
  EXPECT_NE(prune.output.find("fine-tuner step 1:"), std::string::npos) << prune.output;  // echoed progress

  auto report = nlohmann::json::parse(Read(dir / "p.json"));
  EXPECT_TRUE(report.contains("accuracy_before")) << report.dump();
  EXPECT_TRUE(report.contains("accuracy_after")) << report.dump();
  ASSERT_EQ(report["schedule"]["steps"].size(), 2u) << report.dump();
  for (const auto& step : report["schedule"]["steps"]) {
    EXPECT_EQ(step["finetuned_by_command"], true) << step.dump();
    EXPECT_TRUE(step.contains("test_accuracy")) << step.dump();
  }

  auto original = ScriptModel::Load(dir / "m.pt");
  auto pruned = ScriptModel::Load(dir / "p.pt");
  ASSERT_TRUE(original.ok() && pruned.ok());
  int layers = 0;
  for (const auto& layer : report["layers"]) {
    std::vector<int64_t> kept = layer["kept_channels"].get<std::vector<int64_t>>();
    std::set<int64_t> keep(kept.begin(), kept.end());
    std::vector<int64_t> removed;
    for (int64_t c = 0; c < layer["channels"].get<int64_t>(); ++c) {
      if (!keep.count(c)) removed.push_back(c);
    }
    ASSERT_FALSE(removed.empty()) << layer.dump();
    const std::string name = layer["name"];
    at::Tensor w = Weight(*pruned, name);
    at::Tensor removed_rows = w.index_select(0, torch::tensor(removed, torch::kInt64));
    EXPECT_EQ(removed_rows.abs().max().item<double>(), 0.0) << name << ": pruned filters are exactly zero";
    at::Tensor kept_index = torch::tensor(kept, torch::kInt64);
    // An l1 prune leaves kept filters as they were: a change is the fine-tuner's.
    EXPECT_FALSE(torch::equal(w.index_select(0, kept_index), Weight(*original, name).index_select(0, kept_index)))
        << name;
    ++layers;
  }
  EXPECT_EQ(layers, 2);
  EXPECT_FALSE(torch::equal(Weight(*pruned, "fc2"), Weight(*original, "fc2")));
}

// One-shot with speedup: the fine-tuner runs once, on the smaller model.
TEST(ModelCommandCliSlowTest, OneShotSpeedupFineTunesTheSmallModelOnce) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ScratchDir dir("finetuner_speedup");
  auto zoo = Compress("zoo cnn2 --width 8 --seed 3 --out " + (dir / "m.pt"));
  ASSERT_EQ(zoo.code, 0) << zoo.output;
  const std::string log = dir / "log.txt";
  std::ofstream(dir / "prune.yaml") << "pruner: l1\nconfig_list: [{op_types: [Conv2d], sparse_ratio: 0.5}]\n"
                                       "speedup: true\nfinetuner: {command: 'exit 9'}\n";
  auto prune = Compress("prune " + (dir / "m.pt") + " --config " + (dir / "prune.yaml") + " --input 4,1,28,28 --out " +
                        (dir / "p.pt") + " --threads 1 --finetuner \"" + ExampleCommand(log, "--train-subset 128") + "\"");
  ASSERT_EQ(prune.code, 0) << prune.output;
  EXPECT_EQ(Read(log), "finetune 1\n");
  EXPECT_NE(prune.output.find("fine-tuning the sped-up model"), std::string::npos) << prune.output;
  auto small = ScriptModel::Load(dir / "p.pt");
  ASSERT_TRUE(small.ok()) << small.status().message();
  EXPECT_EQ(Weight(*small, "conv1").size(0), 4);
  auto original = ScriptModel::Load(dir / "m.pt");
  ASSERT_TRUE(original.ok());
  // Speedup keeps fc2 as it was (its inputs are fc1's outputs): a change is the fine-tuner's.
  ASSERT_EQ(Weight(*small, "fc2").sizes(), Weight(*original, "fc2").sizes());
  EXPECT_FALSE(torch::equal(Weight(*small, "fc2"), Weight(*original, "fc2")));
}

}  // namespace
}  // namespace hone::compress
