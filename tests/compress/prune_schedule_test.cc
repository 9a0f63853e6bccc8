// Pruning schedules (one-shot, iterative, agp) through RunPruning, and through
// `hone compress prune` with a YAML schedule.
#include "compress/prune/prune_schedule.h"

#include <sys/wait.h>

#include <array>
#include <cmath>
#include <fstream>
#include <iterator>
#include <set>

#include <gtest/gtest.h>

#include "compress/model/script_model_torch.h"
#include "compress/prune/speedup.h"
#include "compress/zoo/model_zoo.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::ScratchDir;
using testing::Config;
using testing::RandomizeBatchNorms;

double MaxDifference(const ScriptModel& a, const ScriptModel& b, const std::vector<int64_t>& shape) {
  torch::NoGradGuard no_grad;
  at::Tensor x = torch::randn(shape);
  ModuleOf(a).eval();
  ModuleOf(b).eval();
  return (ModuleOf(a).forward({x}).toTensor() - ModuleOf(b).forward({x}).toTensor()).abs().max().item<double>();
}

std::set<int64_t> RemovedOf(const LayerPruneResult& l) {
  std::set<int64_t> out;
  for (int64_t c = 0; c < l.channels; ++c) out.insert(c);
  for (int64_t c : l.kept_channels) out.erase(c);
  return out;
}

TEST(PruneScheduleTest, RatiosFollowTheFormulas) {
  PruneSchedule iterative{.kind = "iterative", .steps = 4};
  for (int t = 1; t <= 4; ++t) EXPECT_DOUBLE_EQ(ScheduledRatio(iterative, 0.8, t), 0.2 * t);
  PruneSchedule agp{.kind = "agp", .steps = 4};
  const double expected[] = {0.8 * (1 - 0.421875), 0.8 * (1 - 0.125), 0.8 * (1 - 1.0 / 64), 0.8};
  for (int t = 1; t <= 4; ++t) EXPECT_NEAR(ScheduledRatio(agp, 0.8, t), expected[t - 1], 1e-12) << t;
  agp.initial_sparsity = 0.2;  // s_t = s_f + (s_i - s_f)(1 - t/n)^3
  EXPECT_NEAR(ScheduledRatio(agp, 0.8, 2), 0.8 - 0.6 * 0.125, 1e-12);
  EXPECT_DOUBLE_EQ(ScheduledRatio(agp, 0.8, 4), 0.8);
  EXPECT_DOUBLE_EQ(ScheduledRatio(agp, 0.1, 1), 0.1);  // s_i above the target: capped at it
  EXPECT_DOUBLE_EQ(ScheduledRatio(PruneSchedule{}, 0.5, 1), 0.5);
}

TEST(PruneScheduleTest, ParsesScheduleAndPrunerOptions) {
  PruneConfig c = Config(R"(
pruner: taylor
config_list: [{op_types: [Conv2d], sparse_ratio: 0.5}]
pruner_options: {batches: 4, batch_size: 16, sparsity_epochs: 2, sparsity_lambda: 0.001, lr: 0.1}
schedule: {kind: agp, steps: 5, initial_sparsity: 0.1, finetune_epochs: 2, optimizer: adam, lr: 0.001, batch_size: 32}
)");
  EXPECT_EQ(c.options.batches, 4);
  EXPECT_EQ(c.options.batch_size, 16);
  EXPECT_EQ(c.options.sparsity_epochs, 2);
  EXPECT_DOUBLE_EQ(c.options.sparsity_lambda, 0.001);
  EXPECT_EQ(c.schedule.kind, "agp");
  EXPECT_EQ(c.schedule.steps, 5);
  EXPECT_DOUBLE_EQ(c.schedule.initial_sparsity, 0.1);
  EXPECT_EQ(c.schedule.finetune_epochs, 2);
  EXPECT_EQ(c.schedule.optimizer, "adam");
  EXPECT_EQ(c.schedule.batch_size, 32);
  EXPECT_EQ(Config("config_list: [{sparse_ratio: 0.5}]\nschedule: {kind: iterative}").schedule.steps, 4);

  const std::string m = testing::ConfigError(R"(pruner: slim
config_list: [{sparse_ratio: 0.5}]
schedule: {kind: cubic, steps: 0, finetune: 1}
pruner_options: {batches: -1}
)", "s.yaml");
  EXPECT_NE(m.find("schedule.kind: must be one of one-shot, iterative, agp, but got 'cubic'"), std::string::npos) << m;
  EXPECT_NE(m.find("schedule.steps: must be an integer >= 1, but got '0'"), std::string::npos) << m;
  EXPECT_NE(m.find("schedule.finetune: is not a schedule key"), std::string::npos) << m;
  EXPECT_NE(m.find("s.yaml:4:27: error: pruner_options.batches: must be an integer >= 1"), std::string::npos) << m;
}

// fpgm over four agp steps, no fine-tuning: every step reaches its ratio, keeps what
// earlier steps removed (a zeroed filter is not fpgm's first choice by itself), and the
// last step's model speeds up to the same function.
TEST(PruneScheduleTest, AgpStepsReachTheirRatiosKeepEarlierRemovalsAndSpeedUp) {
  auto model = BuildZooModel({.name = "vgg-small", .height = 8, .width = 8, .base_width = 8, .seed = 7});
  ASSERT_TRUE(model.ok());
  RandomizeBatchNorms(*model);
  auto graph = BuildLayerGraph(*model, {1, 1, 8, 8});
  ASSERT_TRUE(graph.ok());
  PruneConfig config = Config(R"(pruner: fpgm
config_list: [{op_types: [Conv2d], sparse_ratio: 0.5}]
schedule: {kind: agp, steps: 4}
speedup: true
)");
  auto run = RunPruning(*model, *graph, config, {});
  ASSERT_TRUE(run.ok()) << run.status().message();
  ASSERT_EQ(run->steps.size(), 4u);
  std::map<std::string, std::set<int64_t>> before;
  for (const PruneStep& s : run->steps) {
    const double ratio = ScheduledRatio(config.schedule, 0.5, s.step);
    EXPECT_DOUBLE_EQ(s.rule_ratios[0], ratio);
    ASSERT_EQ(s.result.layers.size(), 6u);
    for (const LayerPruneResult& l : s.result.layers) {
      std::set<int64_t> removed = RemovedOf(l);
      EXPECT_EQ(static_cast<int64_t>(removed.size()),
                static_cast<int64_t>(std::floor(ratio * static_cast<double>(l.channels))))
          << "step " << s.step << " " << l.name;
      for (int64_t c : before[l.name]) EXPECT_TRUE(removed.count(c)) << "step " << s.step << " " << l.name << " " << c;
      before[l.name] = removed;
    }
  }
  for (const LayerPruneResult& l : run->result.layers) {
    EXPECT_EQ(static_cast<int64_t>(l.kept_channels.size()), l.channels / 2) << l.name;
  }
  auto fast = Speedup(*model, *graph, run->groups, run->kept);
  ASSERT_TRUE(fast.ok()) << fast.status().message();
  EXPECT_LT(MaxDifference(*model, *fast, {4, 1, 8, 8}), 1e-4);
}

TEST(PruneScheduleTest, IterativeLevelReachesEachStepsSparsity) {
  auto model = BuildZooModel({.name = "cnn2", .height = 8, .width = 8, .base_width = 4, .seed = 1});
  ASSERT_TRUE(model.ok());
  auto graph = BuildLayerGraph(*model, {1, 1, 8, 8});
  ASSERT_TRUE(graph.ok());
  PruneConfig config = Config("pruner: level\nconfig_list: [{op_types: [Conv2d], sparse_ratio: 0.6}]\n"
                              "schedule: {kind: iterative, steps: 3}");
  auto run = RunPruning(*model, *graph, config, {});
  ASSERT_TRUE(run.ok()) << run.status().message();
  ASSERT_EQ(run->steps.size(), 3u);
  for (const PruneStep& s : run->steps) {
    for (const LayerPruneResult& l : s.result.layers) {
      EXPECT_EQ(l.zero_weights, static_cast<int64_t>(std::floor(0.2 * s.step * static_cast<double>(l.weights) + 1e-9)))
          << s.step << " " << l.name;
    }
  }
}

TEST(PruneScheduleTest, DataPrunersAndFineTuningNeedData) {
  auto model = BuildZooModel({.name = "cnn2", .height = 8, .width = 8, .base_width = 4});
  ASSERT_TRUE(model.ok());
  auto graph = BuildLayerGraph(*model, {1, 1, 8, 8});
  ASSERT_TRUE(graph.ok());
  auto a = RunPruning(*model, *graph, Config("pruner: apoz\nconfig_list: [{sparse_ratio: 0.5}]"), {});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("give a data set"), std::string::npos) << a.status().message();
  auto b = RunPruning(*model, *graph,
                      Config("pruner: l1\nconfig_list: [{sparse_ratio: 0.5}]\nschedule: {kind: agp, finetune_epochs: 1}"), {});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("finetune_epochs needs training data"), std::string::npos);
}

// taylor over three agp steps with a fine-tuning epoch after each, on Fashion-MNIST:
// fine-tuning keeps the removed channels at zero (weights and batch norms), the final
// sparsity is the target, and the sped-up model computes what the masked one does.
TEST(PruneScheduleSlowTest, AgpTaylorWithFineTuningSpeedsUp) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ImageSet train = testing::FashionMnist(Split::kTrain, 256);
  ImageSet test = testing::FashionMnist(Split::kTest, 200);
  auto model = BuildZooModel({.name = "vgg-small", .base_width = 4, .seed = 2});
  ASSERT_TRUE(model.ok());
  auto graph = BuildLayerGraph(*model, {1, 1, 28, 28});
  ASSERT_TRUE(graph.ok());
  PruneConfig config = Config(R"(pruner: taylor
pruner_options: {batches: 2, batch_size: 32}
config_list: [{op_types: [Conv2d], sparse_ratio: 0.5}]
schedule: {kind: agp, steps: 3, finetune_epochs: 1, lr: 0.02, batch_size: 32}
speedup: true
)");
  PruneData data{.train = &train, .test = &test, .norm = DatasetNormalization("fashion-mnist", 1), .threads = 1};
  auto run = RunPruning(*model, *graph, config, data);
  ASSERT_TRUE(run.ok()) << run.status().message();
  ASSERT_EQ(run->steps.size(), 3u);
  for (const PruneStep& s : run->steps) {
    EXPECT_EQ(s.finetune.size(), 1u);
    EXPECT_GE(s.test_accuracy, 0.0);
  }
  torch::jit::Module& m = ModuleOf(*model);
  for (const LayerPruneResult& l : run->result.layers) {
    EXPECT_EQ(static_cast<int64_t>(l.kept_channels.size()), l.channels / 2) << l.name;
    std::set<int64_t> gone = RemovedOf(l);
    std::vector<int64_t> removed(gone.begin(), gone.end());
    at::Tensor idx = torch::tensor(removed);
    EXPECT_EQ(FindSubmodule(m, l.name)->attr("weight").toTensor().index_select(0, idx).abs().sum().item<double>(), 0.0);
    const std::string bn = "bn" + l.name.substr(4);
    EXPECT_EQ(FindSubmodule(m, bn)->attr("weight").toTensor().index_select(0, idx).abs().sum().item<double>(), 0.0);
    EXPECT_EQ(FindSubmodule(m, bn)->attr("bias").toTensor().index_select(0, idx).abs().sum().item<double>(), 0.0);
  }
  auto fast = Speedup(*model, *graph, run->groups, run->kept);
  ASSERT_TRUE(fast.ok()) << fast.status().message();
  EXPECT_LT(MaxDifference(*model, *fast, {4, 1, 28, 28}), 1e-4);
}

using testing::Compress;

TEST(PruneScheduleCliSlowTest, PruneWithAnAgpScheduleFromYaml) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ScratchDir dir("prune_schedule_cli");
  auto model = BuildZooModel({.name = "vgg-small", .base_width = 4, .seed = 3});
  ASSERT_TRUE(model.ok());
  ASSERT_TRUE(model->Save(dir / "m.pt").ok());
  std::ofstream(dir / "agp.yaml") << R"(pruner: apoz
pruner_options: {batches: 2, batch_size: 32}
config_list:
  - {op_types: [Conv2d], sparse_ratio: 0.5}
  - {op_names: [conv1], exclude: true}
schedule: {kind: agp, steps: 3, finetune_epochs: 1, lr: 0.02, batch_size: 32}
speedup: true
)";
  auto r = Compress("prune " + (dir / "m.pt") + " --config " + (dir / "agp.yaml") +
                      " --data fashion-mnist --train-subset 256 --test-subset 200 --threads 1 --out " + (dir / "p.pt") +
                      " --report " + (dir / "p.json"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("step 1/3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("step 3/3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("speedup: parameters"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fine-tuned between steps"), std::string::npos) << r.output;
  std::ifstream in(dir / "p.json");
  std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(json.find("\"kind\": \"agp\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"step\": 3"), std::string::npos) << json;
  auto pruned = ScriptModel::Load(dir / "p.pt");
  ASSERT_TRUE(pruned.ok());
  EXPECT_LT(pruned->NumParameters(), model->NumParameters());
}

TEST(PruneScheduleCliTest, DataDrivenPrunerWithoutDataIsAUsageError) {
  ScratchDir dir("prune_schedule_cli_err");
  auto model = BuildZooModel({.name = "cnn2", .base_width = 4});
  ASSERT_TRUE(model.ok());
  ASSERT_TRUE(model->Save(dir / "m.pt").ok());
  std::ofstream(dir / "t.yaml") << "pruner: taylor\nconfig_list: [{op_types: [Conv2d], sparse_ratio: 0.5}]\n";
  auto r = Compress("prune " + (dir / "m.pt") + " --config " + (dir / "t.yaml") + " --out " + (dir / "p.pt"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("the taylor pruner ranks filters from data: give --data"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace hone::compress
