// Each one-shot strategy runs a few steps on real Fashion-MNIST images, deterministically
// from its seed, and returns an architecture of the space with a network that runs.
#include "nas/oneshot/oneshot_search.h"

#include <gtest/gtest.h>

#include "../../compress/torch_test_util.h"
#include "compress/data/dataset_catalog.h"
#include "nas/space/space_reader.h"
#include "oneshot_test_util.h"

namespace hone::nas {
namespace {

using compress::Split;

ModelSpace Tiny() {
  auto space = LoadModelSpace("nb201-small");
  EXPECT_TRUE(space.ok());
  ModelSpace s = *space;
  s.stem_channels = 4;
  s.cell.stages = {{1, 4}, {1, 8}};
  return s;
}

OneShotOptions Options(OneShotStrategy strategy) { return testing::SmallSearchOptions(strategy); }

TEST(OneShotSearchTest, EveryStrategyRunsDeterministically) {
  if (!compress::testing::HaveFashionMnist()) GTEST_SKIP() << "no Fashion-MNIST";
  compress::ImageSet data = compress::testing::FashionMnist(Split::kTrain, 192);
  compress::Normalization norm = compress::DatasetNormalization("fashion-mnist", 1);
  ModelSpace space = Tiny();
  for (auto strategy : {OneShotStrategy::kDarts, OneShotStrategy::kGdas, OneShotStrategy::kEnas, OneShotStrategy::kSpos}) {
    auto a = SearchOneShot(space, data, norm, Options(strategy));
    auto b = SearchOneShot(space, data, norm, Options(strategy));
    ASSERT_TRUE(a.ok()) << OneShotStrategyName(strategy) << ": " << a.status().message();
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(a->config, b->config) << OneShotStrategyName(strategy);
    ASSERT_EQ(a->history.size(), 2u);
    EXPECT_EQ(a->history[1].train_accuracy, b->history[1].train_accuracy) << OneShotStrategyName(strategy);
    EXPECT_TRUE(ArchitectureOf(space, a->config).ok());
    ASSERT_TRUE(a->model.has_value());
    at::Tensor y = compress::testing::Forward(*a->model, torch::randn({2, 1, 28, 28}));
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 10}));
  }
}

TEST(OneShotSearchTest, TooManySkipsStopTheSearchWithThePreviousCell) {
  if (!compress::testing::HaveFashionMnist()) GTEST_SKIP() << "no Fashion-MNIST";
  compress::ImageSet data = compress::testing::FashionMnist(Split::kTrain, 128);
  ModelSpace space = Tiny();
  space.cell.operations = {Operation::kSkip, Operation::kAvgPool3x3};
  OneShotOptions o = Options(OneShotStrategy::kDarts);
  o.max_skip = 0;
  o.epochs = 4;
  auto r = SearchOneShot(space, data, compress::DatasetNormalization("fashion-mnist", 1), o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_FALSE(r->stopped.empty());
  size_t at = r->stopped.find("kept the cell of epoch ");
  if (at != std::string::npos) {
    // Stopped at a collapsed epoch, keeping the last epoch whose cell had no skip.
    size_t kept = std::stoul(r->stopped.substr(at + 23));
    ASSERT_GE(kept, 1u);
    ASSERT_LT(kept, r->history.size());
    EXPECT_LT(r->history.size(), 4u);
    EXPECT_EQ(r->history[kept - 1].skips, 0);
    EXPECT_GT(r->history.back().skips, 0);
    EXPECT_EQ(r->config, r->history[kept - 1].config);
  } else {
    EXPECT_NE(r->stopped.find("every epoch's cell had more than max_skip 0"), std::string::npos) << r->stopped;
    for (const OneShotEpoch& e : r->history) EXPECT_GT(e.skips, 0);
    EXPECT_EQ(r->config, r->history.back().config);
  }
}

TEST(OneShotSearchTest, BadOptionsAndNamesAreRefused) {
  EXPECT_FALSE(ParseOneShotStrategy("proxyless").ok());
  EXPECT_EQ(*ParseOneShotStrategy("gdas"), OneShotStrategy::kGdas);
  compress::ImageSet data = compress::testing::FashionMnist(Split::kTest, 16);
  auto r = SearchOneShot(Tiny(), data, compress::DatasetNormalization("fashion-mnist", 1), Options(OneShotStrategy::kDarts));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("fewer than two batches"), std::string::npos);
}

}  // namespace
}  // namespace hone::nas
