#include "tuners/pbt/pbt_tuner.h"
#include "tests/tuners/tuner_test_util.h"

#include <filesystem>
#include <set>

#include <gtest/gtest.h>

namespace hone {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using tuner_test::SucceededTrial;

class PbtTunerTest : public testing::Test {
 protected:
  PbtTunerTest() {
    root_ = (fs::path(testing::TempDir()) / "hone-pbt-test").string();
    fs::remove_all(root_);
    auto s = SearchSpace::FromJson(json::parse(R"({"lr": {"_type": "loguniform", "_value": [0.0001, 1]},
                                                  "opt": {"_type": "choice", "_value": ["a", "b"]}})"));
    EXPECT_TRUE(s.ok());
    space_ = *s;
  }
  ~PbtTunerTest() override { fs::remove_all(root_); }

  std::unique_ptr<Tuner> Make(json args) {
    TunerContext ctx;
    ctx.space = &space_;
    ctx.seed = 11;
    ctx.class_args = std::move(args);
    auto t = PbtTuner::Create(ctx);
    EXPECT_TRUE(t.ok()) << t.status().message();
    return t.ok() ? std::move(*t) : nullptr;
  }

  std::string root_;
  SearchSpace space_;
};

TEST_F(PbtTunerTest, WorstMembersExploitTheBestCheckpoints) {
  auto tuner = Make({{"all_checkpoint_dir", root_}, {"population_size", 4}, {"fraction", 0.25},
                     {"resample_probability", 0.0}, {"factor", 0.2}});
  auto gen0 = tuner->Suggest(10);
  ASSERT_TRUE(gen0.ok());
  ASSERT_EQ(gen0->size(), 4u) << "one generation at a time";
  std::vector<TrialRecord> done;
  for (int m = 0; m < 4; ++m) {
    const json& c = (*gen0)[m];
    EXPECT_EQ(c["load_checkpoint_dir"], "");
    EXPECT_EQ(c["save_checkpoint_dir"], (fs::path(root_) / std::to_string(m) / "0").string());
    EXPECT_TRUE(fs::is_directory(c["save_checkpoint_dir"].get<std::string>()));
    done.push_back(SucceededTrial(c, m, static_cast<double>(m)));  // member 3 best, member 0 worst
  }
  tuner->Update(std::span<const TrialRecord>(done.data(), 3), {});
  EXPECT_TRUE(tuner->Suggest(4)->empty()) << "member 3 still trains";
  tuner->Update(std::span<const TrialRecord>(done.data() + 3, 1), {});
  auto gen1 = tuner->Suggest(10);
  ASSERT_EQ(gen1->size(), 4u);
  for (int m = 0; m < 4; ++m) {
    const json& c = (*gen1)[m];
    EXPECT_EQ(c["save_checkpoint_dir"], (fs::path(root_) / std::to_string(m) / "1").string());
    if (m == 0) {
      // The worst took over the best's checkpoint, with its learning rate perturbed by 20%.
      EXPECT_EQ(c["load_checkpoint_dir"], (fs::path(root_) / "3" / "0").string());
      double ratio = c["lr"].get<double>() / (*gen0)[3]["lr"].get<double>();
      EXPECT_TRUE(std::abs(ratio - 0.8) < 1e-9 || std::abs(ratio - 1.2) < 1e-9) << ratio;
      EXPECT_EQ(c["opt"], (*gen0)[3]["opt"]);
    } else {
      EXPECT_EQ(c["load_checkpoint_dir"], (fs::path(root_) / std::to_string(m) / "0").string());
      EXPECT_EQ(c["lr"], (*gen0)[m]["lr"]);
    }
  }
}

TEST_F(PbtTunerTest, DefaultRootIsUnderTheExperimentDirectory) {
  TunerContext ctx;
  ctx.space = &space_;
  EXPECT_FALSE(PbtTuner::Create(ctx).ok());
  ctx.experiment_dir = root_;
  auto t = PbtTuner::Create(ctx);
  ASSERT_TRUE(t.ok());
  auto batch = (*t)->Suggest(1);
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ((*batch)[0]["save_checkpoint_dir"], (fs::path(root_) / "checkpoints" / "0" / "0").string());
}

}  // namespace
}  // namespace hone
