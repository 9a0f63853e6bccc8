// `pruner: amc` in prune configs: the amc block's keys and defaults, its errors at
// file:line:col (golden bad configs in tests/testdata/bad_prune_configs), the per-episode
// progress lines and the held-out split of the training data.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "compress/amc/amc_progress.h"
#include "compress/amc/amc_prune.h"
#include "compress/prune/prune_config.h"
#include "compress_test_util.h"

namespace hone::compress {
namespace {
namespace fs = std::filesystem;

TEST(AmcPruneConfigTest, ReadsTheAmcBlock) {
  auto c = ParsePruneConfig(R"(pruner: amc
amc:
  total_sparsity: 0.6
  max_sparsity_per_layer: 0.75
  round_to: 4
  episodes: 20
  warmup_episodes: 5
  noise: 0.4
  noise_decay: 0.98
  min_noise: 0.1
  base_pruner: fpgm
  held_out: 300
  batch_size: 100
  calibrate_bn: 20
  seed: 7
  target: flops
schedule: {finetune_epochs: 2, lr: 0.02}
)", "p.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE(c->amc.has_value());
  const AmcConfig& a = *c->amc;
  EXPECT_DOUBLE_EQ(a.wall.flops_ratio, 0.4);
  EXPECT_DOUBLE_EQ(a.wall.lower_keep, 0.25);
  EXPECT_DOUBLE_EQ(a.wall.upper_keep, 1.0);
  EXPECT_EQ(a.wall.round_to, 4);
  EXPECT_EQ(a.episodes, 20);
  EXPECT_EQ(a.warmup_episodes, 5);
  EXPECT_DOUBLE_EQ(a.noise, 0.4);
  EXPECT_DOUBLE_EQ(a.noise_decay, 0.98);
  EXPECT_DOUBLE_EQ(a.min_noise, 0.1);
  EXPECT_EQ(a.base_pruner, PrunerKind::kFpgm);
  EXPECT_EQ(c->pruner, PrunerKind::kFpgm);
  EXPECT_EQ(a.held_out, 300);
  EXPECT_EQ(a.batch_size, 100);
  EXPECT_EQ(a.calibrate_bn, 20);
  ASSERT_TRUE(a.seed.has_value());
  EXPECT_EQ(*a.seed, 7u);
  EXPECT_TRUE(c->speedup);  // amc always speeds up
  EXPECT_EQ(c->schedule.finetune_epochs, 2);
  EXPECT_TRUE(c->rules.empty());
}

TEST(AmcPruneConfigTest, DefaultsFollowAmcsReferenceAndNnisClassNameWorks) {
  auto c = ParsePruneConfig("pruner: AMCPruner\namc: {flops_ratio: 0.5}\n", "p.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE(c->amc.has_value());
  EXPECT_DOUBLE_EQ(c->amc->wall.flops_ratio, 0.5);
  EXPECT_DOUBLE_EQ(c->amc->wall.lower_keep, 0.2);
  EXPECT_EQ(c->amc->wall.round_to, 8);
  EXPECT_EQ(c->amc->episodes, 300);
  EXPECT_EQ(c->amc->warmup_episodes, 100);
  EXPECT_DOUBLE_EQ(c->amc->noise, 0.5);
  EXPECT_DOUBLE_EQ(c->amc->noise_decay, 0.95);
  EXPECT_DOUBLE_EQ(c->amc->min_noise, 0.0);
  EXPECT_EQ(c->amc->held_out, 1000);
  EXPECT_EQ(c->amc->calibrate_bn, 0);
  EXPECT_EQ(c->amc->base_pruner, PrunerKind::kL1);
  EXPECT_FALSE(c->amc->seed.has_value());
  // Other pruners still need their config_list and know nothing of amc.
  auto l1 = ParsePruneConfig("pruner: l1\nconfig_list: [{sparse_ratio: 0.5}]\n", "p.yaml");
  ASSERT_TRUE(l1.ok()) << l1.status().message();
  EXPECT_FALSE(l1->amc.has_value());
}

// Golden files: every NN_*.yaml is rejected and each line of its NN_*.expected is reported.
TEST(AmcPruneConfigTest, GoldenBadConfigs) {
  const fs::path dir = fs::path(HONE_SOURCE_DIR) / "tests/testdata/bad_prune_configs";
  EXPECT_GE(testing::CheckGoldenBadConfigs(dir, [](const std::string& text, const std::string& name) {
              return ParsePruneConfig(text, name).status();
            }),
            5);
}

TEST(AmcPruneConfigTest, ProgressWritesALinePerEpisodeOffATerminal) {
  EXPECT_EQ(CompactPolicy({0.5, 1.0, 0.25}), "50 100 25");
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  AmcProgress progress(out, 3, 1000);
  progress.Episode({.episode = 0, .keeps = {0.5, 1.0}, .widths = {}, .flops = 600, .reward = 0.7});
  progress.Episode({.episode = 1, .keeps = {0.25, 0.5}, .widths = {}, .flops = 500, .reward = 0.5});
  progress.Episode({.episode = 2, .keeps = {0.75, 0.5}, .widths = {}, .flops = 450, .reward = 0.8});
  progress.Finish();
  std::rewind(out);
  std::string text;
  for (int ch; (ch = std::fgetc(out)) != EOF;) text += static_cast<char>(ch);
  std::fclose(out);
  EXPECT_EQ(text,
            "amc episode 1/3 reward 0.7000 best 0.7000 (episode 1) FLOPs 0.600 keep 50 100\n"
            "amc episode 2/3 reward 0.5000 best 0.7000 (episode 1) FLOPs 0.500 keep 25 50\n"
            "amc episode 3/3 reward 0.8000 best 0.8000 (episode 3) FLOPs 0.450 keep 75 50\n");
}

TEST(AmcPruneConfigTest, HeldOutImagesAreTheLastOfTheTrainingData) {
  ImageSet train{.count = 5, .channels = 1, .height = 1, .width = 2, .num_classes = 3,
                 .pixels = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, .labels = {0, 1, 2, 0, 1}};
  ImageSet rest, held;
  SplitHeldOut(train, 2, rest, held);
  EXPECT_EQ(rest.count, 3);
  EXPECT_EQ(held.count, 2);
  EXPECT_EQ(rest.pixels, (std::vector<uint8_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(held.pixels, (std::vector<uint8_t>{6, 7, 8, 9}));
  EXPECT_EQ(rest.labels, (std::vector<uint8_t>{0, 1, 2}));
  EXPECT_EQ(held.labels, (std::vector<uint8_t>{0, 1}));
  EXPECT_EQ(held.num_classes, 3);
  EXPECT_EQ(held.width, 2);
}

}  // namespace
}  // namespace hone::compress
