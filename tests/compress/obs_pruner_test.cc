// The obs pruner: the layer-wise OBS solver on constructed least-squares problems, and the
// pruner on zoo models (level's per-layer counts, outputs closer to the dense model's than
// level's zeroing, grouped convolutions, schedules keeping earlier zeros, errors).
#include "compress/prune/obs_pruner.h"

#include <algorithm>
#include <cstdio>

#include <gtest/gtest.h>

#include "compress/model/script_model_torch.h"
#include "compress/prune/obs_solver_torch.h"
#include "compress/prune/prune_schedule.h"
#include "compress/train/image_batches_torch.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::Config;
using testing::kNorm;
using testing::Net;
using testing::Noise;
using testing::ZooNet;

// ||(a - b) X||^2 summed over rows.
double OutputError(const at::Tensor& a, const at::Tensor& b, const at::Tensor& x) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).matmul(x).square().sum().item<double>();
}

// A least-squares problem with correlated inputs: W (rows x d), X (d x n), H = 2 X X^T / n.
struct Problem {
  at::Tensor w, x, h;
};

Problem MakeProblem(int64_t rows, int64_t d, int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  at::Tensor mix = torch::randn({d, d}, torch::kDouble) * 0.5 + torch::eye(d, torch::kDouble);
  at::Tensor x = mix.matmul(torch::randn({d, n}, torch::kDouble));
  return {torch::randn({rows, d}), x, x.matmul(x.t()) * (2.0 / static_cast<double>(n))};
}

at::Tensor MagnitudePruned(const at::Tensor& w, int64_t count) {
  at::Tensor out = w.clone();
  out.view(-1).index_fill_(0, w.abs().flatten().argsort().slice(0, 0, count), 0.0);
  return out;
}

TEST(ObsSolverTest, RemovesExactlyCountAndMovesTheRestToMakeUpForIt) {
  for (int64_t block : {128, 5}) {  // one block, and lazy updates across several
    Problem p = MakeProblem(6, 16, 400, 1);
    const int64_t count = 60;
    at::Tensor pruned = ObsPruneRows(p.w, p.h, count, {.damp = 1e-6, .block = block});
    EXPECT_EQ(pruned.eq(0).sum().item<int64_t>(), count) << block;
    EXPECT_EQ(pruned.scalar_type(), torch::kFloat);
    // Better than zeroing the same weights without moving the others.
    EXPECT_LT(OutputError(pruned, p.w, p.x), 0.8 * OutputError(p.w * pruned.ne(0), p.w, p.x)) << block;
  }
}

// The exact solver's masks: on strongly correlated inputs, far better than magnitude
// pruning and than the blocked solver (whose one-block mask can lose even to magnitude).
TEST(ObsSolverTest, ExactSolverBeatsMagnitudeAndTheBlockedSolver) {
  for (auto [d, rows, count] : {std::tuple{16, 6, 60}, std::tuple{32, 8, 128}, std::tuple{32, 8, 179}}) {
    Problem p = MakeProblem(rows, d, 400, 1);
    at::Tensor exact = ObsPruneRowsExact(p.w, p.h, count, {.damp = 1e-6});
    EXPECT_EQ(exact.eq(0).sum().item<int64_t>(), count) << d;
    const double e = OutputError(exact, p.w, p.x);
    EXPECT_LT(e, 0.7 * OutputError(MagnitudePruned(p.w, count), p.w, p.x)) << d;
    EXPECT_LT(e, OutputError(ObsPruneRows(p.w, p.h, count, {.damp = 1e-6}), p.w, p.x)) << d;
  }
}

TEST(ObsSolverTest, OneRemovalIsTheOptimalBrainSurgeonUpdate) {
  Problem p = MakeProblem(1, 6, 200, 2);
  at::Tensor pruned = ObsPruneRows(p.w, p.h, 1, {.damp = 1e-9}).to(torch::kDouble);
  at::Tensor exact = ObsPruneRowsExact(p.w, p.h, 1, {.damp = 1e-9}).to(torch::kDouble);
  // Closed form: remove q = argmin w_q^2 / [H^-1]_qq, then w -= w_q / [H^-1]_qq H^-1[:, q].
  at::Tensor hinv = torch::inverse(p.h);
  at::Tensor w = p.w.to(torch::kDouble)[0];
  const int64_t q = (w.square() / hinv.diagonal()).argmin().item<int64_t>();
  at::Tensor expected = w - w[q] / hinv[q][q] * hinv.select(1, q);
  EXPECT_EQ(pruned[0][q].item<double>(), 0.0);
  EXPECT_LT((pruned[0] - expected).abs().max().item<double>(), 1e-4);
  EXPECT_LT((exact[0] - expected).abs().max().item<double>(), 1e-4);
}

TEST(ObsSolverTest, ZerosAndDeadInputsGoFirst) {
  Problem p = MakeProblem(4, 8, 300, 3);
  p.w[1][2] = 0.0;
  p.w[3][5] = 0.0;
  // Input 7 never varies: zero row and column of H; its weights cost nothing.
  p.h.select(0, 7).zero_();
  p.h.select(1, 7).zero_();
  for (bool exact : {false, true}) {
    at::Tensor pruned = exact ? ObsPruneRowsExact(p.w, p.h, 9, {}) : ObsPruneRows(p.w, p.h, 9, {});
    EXPECT_EQ(pruned.eq(0).sum().item<int64_t>(), 9) << exact;
    EXPECT_EQ(pruned[1][2].item<float>(), 0.0f) << exact;
    EXPECT_EQ(pruned[3][5].item<float>(), 0.0f) << exact;
    for (int64_t r = 0; r < 4; ++r) EXPECT_EQ(pruned[r][7].item<float>(), 0.0f) << r << exact;
    EXPECT_TRUE((exact ? ObsPruneRowsExact(p.w, p.h, 0, {}) : ObsPruneRows(p.w, p.h, 0, {})).equal(p.w));
  }
}

// Per-layer zero counts of a pruning result.
std::map<std::string, int64_t> Zeros(const PruneResult& r) {
  std::map<std::string, int64_t> out;
  for (const LayerPruneResult& l : r.layers) out[l.name] = l.zero_weights;
  return out;
}

// A zoo model with batch norms away from their initial values; the same for a seed.
Net SeededNet(const std::string& name, uint64_t seed) {
  Net n = ZooNet(name, 8, 8, seed);
  torch::manual_seed(seed);
  testing::RandomizeBatchNorms(n.model);
  return n;
}

PruneConfig GlobalConfig(const std::string& pruner, double ratio) {
  return Config("pruner: " + pruner + "\nconfig_list: [{op_types: [Conv2d, Linear], sparse_ratio: " +
                std::to_string(ratio) + ", global_group_id: all}]\npruner_options: {batches: 4, batch_size: 32}\n");
}

TEST(ObsPrunerTest, TakesLevelsCountsAndStaysCloserToTheDenseOutput) {
  ImageSet calibration = Noise(128, 8, 1);
  ImageSet held_out = Noise(64, 8, 9);
  at::Tensor x = ImageBatches(held_out, kNorm).Range(0, 64);
  Net dense = SeededNet("resnet20", 5);
  Net level = SeededNet("resnet20", 5);
  Net obs = SeededNet("resnet20", 5);
  at::Tensor want = testing::Forward(dense.model, x);
  auto by_level = PruneWeights(level.model, level.graph, GlobalConfig("level", 0.7));
  ASSERT_TRUE(by_level.ok()) << by_level.status().message();
  auto by_obs = PruneWeightsObs(obs.model, obs.graph, GlobalConfig("obs", 0.7),
                                {.train = &calibration, .norm = kNorm, .threads = 1, .seed = 4});
  ASSERT_TRUE(by_obs.ok()) << by_obs.status().message();
  EXPECT_EQ(Zeros(*by_obs), Zeros(*by_level));
  EXPECT_EQ(by_obs->layers.size(), 22u);  // 21 convolutions and the classifier
  EXPECT_EQ(by_obs->zero_weights, by_level->zero_weights);
  const double level_error = (testing::Forward(level.model, x) - want).square().sum().item<double>();
  const double obs_error = (testing::Forward(obs.model, x) - want).square().sum().item<double>();
  EXPECT_LT(obs_error, 0.5 * level_error) << obs_error << " vs " << level_error;
}

TEST(ObsPrunerTest, PrintsALinePerLayerAsItGoes) {
  ImageSet calibration = Noise(32, 8, 1);
  Net net = SeededNet("cnn2", 2);
  std::FILE* progress = std::tmpfile();
  ASSERT_NE(progress, nullptr);
  auto pruned = PruneWeightsObs(net.model, net.graph, GlobalConfig("obs", 0.5),
                                {.train = &calibration, .norm = kNorm, .threads = 1, .progress = progress});
  ASSERT_TRUE(pruned.ok()) << pruned.status().message();
  std::rewind(progress);
  std::string text;
  for (int c = std::fgetc(progress); c != EOF; c = std::fgetc(progress)) text += static_cast<char>(c);
  std::fclose(progress);
  // cnn2: conv1, conv2, fc1, fc2, each with its count, in execution order, one line each
  // (a file is not a terminal).
  EXPECT_NE(text.find("obs: layer 1/4 conv1: "), std::string::npos) << text;
  EXPECT_LT(text.find("obs: layer 2/4 conv2: "), text.find("obs: layer 4/4 fc2: ")) << text;
  EXPECT_NE(text.find(" weights removed, "), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
}

TEST(ObsPrunerTest, PrunesGroupedAndDepthwiseConvolutionsGroupByGroup) {
  ImageSet calibration = Noise(64, 8, 2);
  Net level = SeededNet("mobilenetv2-small", 6);
  Net obs = SeededNet("mobilenetv2-small", 6);
  auto by_level = PruneWeights(level.model, level.graph, GlobalConfig("level", 0.5));
  auto by_obs = PruneWeightsObs(obs.model, obs.graph, GlobalConfig("obs", 0.5),
                                {.train = &calibration, .norm = kNorm, .threads = 1});
  ASSERT_TRUE(by_level.ok() && by_obs.ok()) << by_obs.status().message();
  EXPECT_EQ(Zeros(*by_obs), Zeros(*by_level));
  bool saw_depthwise = false;
  for (const LayerNode& n : obs.graph.nodes) saw_depthwise |= n.kind == OpKind::kConv2d && n.groups > 1;
  EXPECT_TRUE(saw_depthwise);
}

TEST(ObsPrunerTest, ScheduleStepsKeepEarlierZeros) {
  ImageSet calibration = Noise(64, 8, 3);
  Net net = SeededNet("vgg-small", 7);
  PruneConfig config = Config(R"(pruner: obs
config_list: [{op_types: [Conv2d], sparse_ratio: 0.6}]
pruner_options: {batches: 2, batch_size: 32}
schedule: {kind: iterative, steps: 2}
)");
  PruneData data;
  data.train = &calibration;
  data.norm = kNorm;
  data.threads = 1;
  // After step 1, record the zeros; step 2 must keep them.
  auto first = RunPruning(net.model, net.graph, [&] {
    PruneConfig c = config;
    c.schedule.steps = 1;
    c.schedule.kind = "one-shot";
    c.rules[0].sparse_ratio = 0.3;
    return c;
  }(), data);
  ASSERT_TRUE(first.ok()) << first.status().message();
  std::map<std::string, at::Tensor> zero_before;
  for (const LayerPruneResult& l : first->result.layers) {
    zero_before[l.name] = FindSubmodule(ModuleOf(net.model), l.name)->attr("weight").toTensor().eq(0).clone();
  }
  auto second = RunPruning(net.model, net.graph, config, data);
  ASSERT_TRUE(second.ok()) << second.status().message();
  ASSERT_EQ(second->steps.size(), 2u);
  for (const LayerPruneResult& l : second->result.layers) {
    at::Tensor w = FindSubmodule(ModuleOf(net.model), l.name)->attr("weight").toTensor();
    EXPECT_EQ(w.eq(0).logical_and(zero_before[l.name]).sum().item<int64_t>(), zero_before[l.name].sum().item<int64_t>())
        << l.name;
    EXPECT_EQ(l.zero_weights, static_cast<int64_t>(std::floor(0.6 * static_cast<double>(l.weights)))) << l.name;
  }
}

TEST(ObsPrunerTest, NeedsDataAndNoSpeedup) {
  Net net = SeededNet("cnn2", 1);
  PruneConfig config = GlobalConfig("obs", 0.5);
  auto no_data = PruneWeightsObs(net.model, net.graph, config, {});
  ASSERT_FALSE(no_data.ok());
  EXPECT_NE(no_data.status().message().find("needs calibration images"), std::string::npos);
  auto direct = PruneWeights(net.model, net.graph, config);
  ASSERT_FALSE(direct.ok());
  EXPECT_NE(direct.status().message().find("PruneWeightsObs"), std::string::npos);
  ImageSet calibration = Noise(32, 8);
  PruneData data;
  data.train = &calibration;
  data.norm = kNorm;
  config.speedup = true;
  auto speedup = RunPruning(net.model, net.graph, config, data);
  ASSERT_FALSE(speedup.ok());
  EXPECT_NE(speedup.status().message().find("needs a structured pruner, but got 'obs'"), std::string::npos)
      << speedup.status().message();
  EXPECT_TRUE(PrunerTraitsOf(PrunerKind::kObs).needs_data);
  EXPECT_FALSE(PrunerTraitsOf(PrunerKind::kObs).structured);
  EXPECT_TRUE(PrunerTraitsOf(PrunerKind::kL1).structured);
}

TEST(ObsPrunerTest, ParsesDampAndSolver) {
  PruneConfig c = Config("pruner: obs\nconfig_list: [{sparse_ratio: 0.5}]\npruner_options: {damp: 0.1, solver: blocked}");
  EXPECT_DOUBLE_EQ(c.options.damp, 0.1);
  EXPECT_EQ(c.options.solver, "blocked");
  EXPECT_EQ(Config("pruner: obs\nconfig_list: [{sparse_ratio: 0.5}]").options.solver, "auto");
  const std::string solver = testing::ConfigError(
      "pruner: obs\nconfig_list: [{sparse_ratio: 0.5}]\npruner_options: {solver: fast}\n", "o.yaml");
  EXPECT_NE(solver.find("o.yaml:3:26: error: pruner_options.solver: must be auto or blocked"), std::string::npos)
      << solver;
  const std::string damp = testing::ConfigError(
      "pruner: obs\nconfig_list: [{sparse_ratio: 0.5}]\npruner_options: {damp: 0}\n", "o.yaml");
  EXPECT_NE(damp.find("o.yaml:3:24: error: pruner_options.damp: must be a number > 0"), std::string::npos) << damp;
}

}  // namespace
}  // namespace hone::compress
