// Each one-shot strategy searches a small darts-style space on real Fashion-MNIST images,
// deterministically from its seed, and returns a valid darts architecture whose network
// runs and loads in Python.
#include <gtest/gtest.h>

#include "../../compress/torch_test_util.h"
#include "compress/data/dataset_catalog.h"
#include "nas/oneshot/oneshot_search.h"
#include "nas/oneshot/supernet_torch.h"
#include "nas/space/space_reader.h"
#include "oneshot_test_util.h"

namespace hone::nas {
namespace {

using compress::Split;

// darts with 4 channels, 2 nodes, 4 operations, one cell per stage (normal, reduction, normal).
ModelSpace TinyDarts() {
  auto space = LoadModelSpace("darts");
  EXPECT_TRUE(space.ok());
  ModelSpace s = *space;
  s.stem_channels = 4;
  s.cell.nodes = 2;
  s.cell.operations = {Operation::kNone, Operation::kSkip, Operation::kSepConv3x3, Operation::kMaxPool3x3};
  s.cell.stages = {{1, 4}, {1, 4}};
  return s;
}

OneShotOptions Options(OneShotStrategy strategy) { return testing::SmallSearchOptions(strategy); }

void ExpectValidCell(const CellGenotype& cell, int nodes) {
  ASSERT_EQ(cell.edges.size(), static_cast<size_t>(2 * nodes));
  for (size_t e = 0; e < cell.edges.size(); e += 2) {
    EXPECT_EQ(cell.edges[e].to, cell.edges[e + 1].to);
    EXPECT_LT(cell.edges[e].from, cell.edges[e + 1].from);
    EXPECT_LT(cell.edges[e + 1].from, cell.edges[e].to);
  }
}

void SearchTwice(OneShotStrategy strategy) {
  if (!compress::testing::HaveFashionMnist()) GTEST_SKIP() << "no Fashion-MNIST";
  compress::ImageSet data = compress::testing::FashionMnist(Split::kTrain, 192);
  compress::Normalization norm = compress::DatasetNormalization("fashion-mnist", 1);
  ModelSpace space = TinyDarts();
  auto a = SearchOneShot(space, data, norm, Options(strategy));
  auto b = SearchOneShot(space, data, norm, Options(strategy));
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->config, b->config);
  ASSERT_EQ(a->history.size(), 2u);
  EXPECT_EQ(a->history[1].train_accuracy, b->history[1].train_accuracy);
  EXPECT_EQ(a->history[1].valid_accuracy, b->history[1].valid_accuracy);
  auto arch = ArchitectureOf(space, a->config);
  ASSERT_TRUE(arch.ok()) << arch.status().message();
  ExpectValidCell(a->arch.normal, space.cell.nodes);
  ExpectValidCell(a->arch.reduce, space.cell.nodes);
  EXPECT_EQ(DescribeArchitecture(space, *arch), DescribeArchitecture(space, a->arch));
  ASSERT_TRUE(a->model.has_value());
  at::Tensor x = torch::randn({2, 1, 28, 28});
  at::Tensor y = compress::testing::Forward(*a->model, x);
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 10}));
  EXPECT_TRUE(compress::testing::Forward(*b->model, x).equal(y));
  compress::testing::ScratchDir dir(std::string("nas_darts_oneshot_") + OneShotStrategyName(strategy));
  compress::testing::ExpectSameInCppAndPython(*a->model, x, y, dir, "assert m(x).shape == (2, 10)");
}

TEST(DartsOneShotSearchTest, DartsRunsDeterministically) { SearchTwice(OneShotStrategy::kDarts); }
TEST(DartsOneShotSearchTest, GdasRunsDeterministically) { SearchTwice(OneShotStrategy::kGdas); }
TEST(DartsOneShotSearchTest, EnasRunsDeterministically) { SearchTwice(OneShotStrategy::kEnas); }
TEST(DartsOneShotSearchTest, SposRunsDeterministically) { SearchTwice(OneShotStrategy::kSpos); }

TEST(DartsOneShotSearchTest, TheSkipGuardCountsTheNormalCell) {
  if (!compress::testing::HaveFashionMnist()) GTEST_SKIP() << "no Fashion-MNIST";
  compress::ImageSet data = compress::testing::FashionMnist(Split::kTrain, 128);
  ModelSpace space = TinyDarts();
  space.cell.operations = {Operation::kSkip, Operation::kMaxPool3x3};
  OneShotOptions o = Options(OneShotStrategy::kDarts);
  o.max_skip = 0;
  o.epochs = 3;
  auto r = SearchOneShot(space, data, compress::DatasetNormalization("fashion-mnist", 1), o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  for (const OneShotEpoch& e : r->history) {
    auto arch = ArchitectureOf(space, e.config);
    ASSERT_TRUE(arch.ok());
    EXPECT_EQ(e.skips, SkipCount(*arch));
  }
  bool any_skip = false;
  for (const OneShotEpoch& e : r->history) any_skip = any_skip || e.skips > 0;
  EXPECT_EQ(!r->stopped.empty(), any_skip) << r->stopped;
}

}  // namespace
}  // namespace hone::nas
