// `hone compress prune --config` with `pruner: amc`, through the real executable: the
// search's per-episode lines, a sped-up model that meets the FLOPs budget and loads in
// Python, the report's AMC summary; (Slow) a trained model searched and fine-tuned.
#include <algorithm>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "compress_test_util.h"

namespace hone::compress {
namespace {

using testing::Compress;
using testing::ScratchDir;

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
}

std::string Prune(const ScratchDir& dir, const std::string& extra) {
  return "prune " + (dir / "m.pt") + " --config " + (dir / "amc.yaml") + " --out " + (dir / "p.pt") + " --report " +
         (dir / "p.json") + " --threads 1 --latency-repeats 3 " + extra;
}

TEST(AmcPruneCommandTest, NeedsTrainingDataForItsReward) {
  ScratchDir dir("amc_prune_nodata");
  auto zoo = Compress("zoo cnn2 --width 16 --seed 3 --out " + (dir / "m.pt"));
  ASSERT_EQ(zoo.code, 0) << zoo.output;
  std::ofstream(dir / "amc.yaml") << "pruner: amc\namc: {total_sparsity: 0.5, round_to: 4}\n";
  auto r = Compress(Prune(dir, ""));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("the amc pruner rewards policies on held-out training images: give --data"),
            std::string::npos) << r.output;
}

// An untrained cnn2 (the reward is near chance, but the search, the budget, the speedup
// and the report are what is checked).
TEST(AmcPruneCommandTest, WritesASmallerModelWithinTheBudget) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ScratchDir dir("amc_prune");
  auto zoo = Compress("zoo cnn2 --width 16 --seed 3 --out " + (dir / "m.pt"));
  ASSERT_EQ(zoo.code, 0) << zoo.output;
  std::ofstream(dir / "amc.yaml") << "pruner: amc\n"
                                     "amc: {total_sparsity: 0.5, round_to: 4, episodes: 4, warmup_episodes: 2,\n"
                                     "      held_out: 200, seed: 5}\n";
  auto r = Compress(Prune(dir, "--data fashion-mnist --train-subset 300 --test-subset 200"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("amc episode 1/4 reward"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("amc episode 4/4 reward"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("amc: best episode"), std::string::npos) << r.output;

  nlohmann::json report = ReadJson(dir / "p.json");
  EXPECT_EQ(report["pruner"], "amc");
  const nlohmann::json& amc = report["amc"];
  EXPECT_EQ(amc["episodes"], 4);
  EXPECT_EQ(amc["held_out"], 200);
  EXPECT_EQ(amc["rewards"].size(), 4u);
  EXPECT_EQ(amc["base_pruner"], "l1");
  const int64_t dense = amc["flops_before"].get<int64_t>();
  EXPECT_LE(amc["flops_after"].get<int64_t>(), amc["flops_budget"].get<int64_t>());
  EXPECT_LE(amc["flops_budget"].get<int64_t>(), dense / 2);
  ASSERT_FALSE(amc["layers"].empty());
  for (const auto& l : amc["layers"]) {
    EXPECT_GE(l["kept"].get<int64_t>(), 1) << l.dump();
    EXPECT_LE(l["kept"].get<int64_t>(), l["channels"].get<int64_t>()) << l.dump();
    EXPECT_EQ(l["kept"].get<int64_t>() % 4 == 0 || l["kept"] == l["channels"], true) << l.dump();
  }
  // The saved model is physically smaller, exactly as the search's FLOPs model said.
  EXPECT_EQ(report["speedup"]["flops_before"].get<int64_t>(), dense);
  EXPECT_EQ(report["speedup"]["flops_after"].get<int64_t>(), amc["flops_after"].get<int64_t>());
  EXPECT_LT(report["speedup"]["params_after"].get<int64_t>(), report["speedup"]["params_before"].get<int64_t>());
  EXPECT_TRUE(report.contains("accuracy_after")) << report.dump();

  std::ofstream(dir / "load.py") << "import sys, torch\nm = torch.jit.load(sys.argv[1]).eval()\n"
                                    "assert tuple(m(torch.randn(2, 1, 28, 28)).shape) == (2, 10)\n";
  EXPECT_EQ(testing::RunShell(std::string(HONE_PYTHON) + " " + (dir / "load.py") + " " + (dir / "p.pt")), 0);
}

// On a terminal the episodes share one live line; piped, each has its own line.
TEST(AmcPruneCommandTest, ProgressIsOneLiveLineOnATerminal) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  if (testing::RunShell("command -v script >/dev/null") != 0) GTEST_SKIP() << "util-linux script is missing";
  ScratchDir dir("amc_prune_tty");
  ASSERT_EQ(Compress("zoo cnn2 --width 16 --seed 3 --out " + (dir / "m.pt")).code, 0);
  std::ofstream(dir / "amc.yaml") << "pruner: amc\n"
                                     "amc: {total_sparsity: 0.5, round_to: 4, episodes: 3, warmup_episodes: 1, held_out: 64}\n";
  const std::string args = Prune(dir, "--data fashion-mnist --train-subset 64 --test-subset 16");
  testing::CommandResult piped = Compress(args);
  ASSERT_EQ(piped.code, 0) << piped.output;
  EXPECT_NE(piped.output.find("\namc episode 2/3 reward "), std::string::npos) << piped.output;
  EXPECT_EQ(piped.output.find('\r'), std::string::npos) << piped.output;
  testing::CommandResult tty =
      testing::RunCommand("script -qec '" + std::string(HONE_COMPRESS_BINARY) + " " + args + "' /dev/null");
  ASSERT_EQ(tty.code, 0) << tty.output;
  EXPECT_NE(tty.output.find("\r\033[Kamc episode 2/3 reward "), std::string::npos) << tty.output;
  EXPECT_EQ(tty.output.find("\namc episode 2/3"), std::string::npos) << tty.output;  // not a line each
}

TEST(AmcPruneCommandTest, HeldOutMustLeaveImagesToFineTuneOn) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ScratchDir dir("amc_prune_heldout");
  auto zoo = Compress("zoo cnn2 --width 16 --seed 3 --out " + (dir / "m.pt"));
  ASSERT_EQ(zoo.code, 0) << zoo.output;
  std::ofstream(dir / "amc.yaml") << "pruner: amc\namc: {total_sparsity: 0.5, round_to: 4, held_out: 300}\n"
                                     "schedule: {finetune_epochs: 1}\n";
  auto r = Compress(Prune(dir, "--data fashion-mnist --train-subset 300 --test-subset 100"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("amc.held_out is 300 but the training data has only 300 images (fine-tuning and calibrate_bn need"),
            std::string::npos) << r.output;
}

// A trained vgg-small, batch norms re-estimated per episode: the best episode is the
// highest reward, and one epoch of
// fine-tuning the sped-up model on the training images not held out brings the test
// accuracy well above that reward.
TEST(AmcPruneCliSlowTest, SearchesATrainedModelAndFineTunesIt) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ScratchDir dir("amc_prune_slow");
  auto train = Compress("train --model vgg-small --width 8 --data fashion-mnist --epochs 1 --train-subset 3000 "
                        "--test-subset 200 --optimizer adam --lr 0.002 --batch-size 64 --threads 2 --out " +
                        (dir / "m.pt"));
  ASSERT_EQ(train.code, 0) << train.output;
  std::ofstream(dir / "amc.yaml") << "pruner: amc\n"
                                     "amc: {total_sparsity: 0.5, round_to: 4, episodes: 16, warmup_episodes: 8,\n"
                                     "      held_out: 500, seed: 1, calibrate_bn: 30}\n"
                                     "schedule: {finetune_epochs: 1, optimizer: adam, lr: 0.002, batch_size: 64}\n";
  auto r = Compress(Prune(dir, "--data fashion-mnist --train-subset 3000 --test-subset 500"));
  ASSERT_EQ(r.code, 0) << r.output;
  nlohmann::json report = ReadJson(dir / "p.json");
  const nlohmann::json& amc = report["amc"];
  EXPECT_LE(amc["flops_after"].get<int64_t>(), amc["flops_budget"].get<int64_t>());
  double highest = 0;
  for (const auto& r : amc["rewards"]) highest = std::max(highest, r.get<double>());
  EXPECT_EQ(amc["best_reward"].get<double>(), highest) << amc.dump();
  EXPECT_EQ(amc["calibrate_bn"], 30);
  EXPECT_GT(amc["dense_reward"].get<double>(), 0.6) << amc.dump();  // calibrated on 30 batches, still dense
  ASSERT_EQ(amc["finetune"]["epochs"].size(), 1u) << amc.dump();
  EXPECT_EQ(amc["finetune"]["images"], 2500);
  // Masked without fine-tuning a 50% policy of this small model keeps little (the reward);
  // an epoch on the 2,500 images not held out recovers much of it.
  EXPECT_GT(report["accuracy_after"].get<double>(), highest + 0.1) << report.dump();
}

}  // namespace
}  // namespace hone::compress
