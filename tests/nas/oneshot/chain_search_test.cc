// SPOS on a chain space through SearchOneShot: a couple of epochs on real Fashion-MNIST
// images, deterministic from the seed, an exported network that Python loads with the
// same outputs, limits on the candidates, and clear errors for other strategies.
#include "nas/oneshot/chain_search.h"

#include <gtest/gtest.h>

#include "../../compress/torch_test_util.h"
#include "compress/data/dataset_catalog.h"
#include "compress/train/image_batches_torch.h"
#include "nas/model/arch_model.h"
#include "nas/space/space_reader.h"
#include "oneshot_test_util.h"

namespace hone::nas {
namespace {

using compress::Split;

ModelSpace Tiny() {
  auto space = ParseModelSpace(R"(name: tiny-chain
type: chain
input: {channels: 1, height: 28, width: 28}
classes: 10
stem: {channels: 4}
stages:
  - {depth: [1, 2], width: [4, 6], kernel: [3, 5], expansion: [1, 3], stride: 2}
  - {depth: [1, 2], width: [8, 12], kernel: [3, 5], expansion: [2, 4], stride: 2}
head: {channels: 16}
)",
                               "tiny-chain.yaml");
  EXPECT_TRUE(space.ok()) << space.status().message();
  return space.ok() ? *space : ModelSpace{};
}

OneShotOptions Options() {
  OneShotOptions o = testing::SmallSearchOptions(OneShotStrategy::kSpos);
  o.lr = 0.1;
  o.candidates = 8;
  return o;
}

compress::Normalization Norm() { return compress::DatasetNormalization("fashion-mnist", 1); }

TEST(ChainSearchTest, SposRunsDeterministicallyAndExportsANetworkPythonLoads) {
  if (!compress::testing::HaveFashionMnist()) GTEST_SKIP() << "no Fashion-MNIST";
  compress::ImageSet data = compress::testing::FashionMnist(Split::kTrain, 384);
  ModelSpace space = Tiny();
  auto a = SearchOneShot(space, data, Norm(), Options());
  auto b = SearchOneShot(space, data, Norm(), Options());
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(a->config, b->config);
  ASSERT_EQ(a->history.size(), 2u);
  ASSERT_EQ(b->history.size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    EXPECT_EQ(a->history[e].train_accuracy, b->history[e].train_accuracy);
    EXPECT_EQ(a->history[e].valid_accuracy, b->history[e].valid_accuracy);
  }
  EXPECT_EQ(a->history.back().config, a->config);
  ASSERT_EQ(a->arch.stages.size(), 2u);
  auto again = ArchitectureOf(space, a->config);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(DescribeArchitecture(space, *again), DescribeArchitecture(space, a->arch));
  ASSERT_TRUE(a->model.has_value() && b->model.has_value());
  at::Tensor x = torch::randn({2, 1, 28, 28});
  at::Tensor y = compress::testing::Forward(*a->model, x);
  EXPECT_TRUE(y.equal(compress::testing::Forward(*b->model, x)));
  compress::testing::ScratchDir dir("nas_chain_search");
  compress::testing::ExpectSameInCppAndPython(*a->model, x, y, dir, "assert m(x).shape == (2, 10)");
}

TEST(ChainSearchTest, CandidatesStayWithinTheLimits) {
  if (!compress::testing::HaveFashionMnist()) GTEST_SKIP() << "no Fashion-MNIST";
  compress::ImageSet data = compress::testing::FashionMnist(Split::kTrain, 128);
  ModelSpace space = Tiny();
  OneShotOptions o = Options();
  o.epochs = 1;
  o.max_parameters = 900;  // through SearchOneShot, as `hone nas search --max-params` passes it
  auto r = SearchOneShot(space, data, Norm(), o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_LE(ChainCostOf(space, r->arch).parameters, 900);
  o.max_parameters = 0;
  auto none = SearchChainOneShot(space, data, Norm(), o, {.max_parameters = 0, .max_macs = 10});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("meets the limits"), std::string::npos) << none.status().message();
}

TEST(ChainSearchTest, OtherStrategiesOnChainSpacesAreRefusedClearly) {
  compress::ImageSet data = compress::testing::FashionMnist(Split::kTest, 128);
  for (auto strategy : {OneShotStrategy::kDarts, OneShotStrategy::kGdas, OneShotStrategy::kEnas}) {
    OneShotOptions o = Options();
    o.strategy = strategy;
    auto r = SearchOneShot(Tiny(), data, Norm(), o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("chain spaces search with spos"), std::string::npos) << r.status().message();
  }
}

TEST(ChainSearchTest, CostCountsTheNetworksParametersAndMultiplies) {
  auto one = ParseModelSpace(R"(name: one
type: chain
input: {channels: 1, height: 8, width: 8}
classes: 10
stem: {channels: 4}
stages: [{depth: 1, width: 8, kernel: 3, expansion: 2, stride: 2}]
)",
                             "one.yaml");
  ASSERT_TRUE(one.ok()) << one.status().message();
  auto arch = ArchitectureOf(*one, nlohmann::json::object());
  ASSERT_TRUE(arch.ok());
  // stem 8*8*4*9, expand 8*8*4*8, depthwise 4*4*8*9, project 4*4*8*8, classifier 8*10.
  EXPECT_EQ(ChainCostOf(*one, *arch).macs, 2304 + 2048 + 1152 + 1024 + 80);
  std::mt19937_64 rng(2);
  ModelSpace space = Tiny();
  for (int i = 0; i < 4; ++i) {
    auto sampled = ArchitectureOf(space, ToSearchSpace(space).Sample(rng));
    ASSERT_TRUE(sampled.ok());
    auto model = BuildArchitectureModel(space, *sampled, 0);
    ASSERT_TRUE(model.ok());
    EXPECT_EQ(ChainCostOf(space, *sampled).parameters, model->NumParameters());
  }
}

// Enough steps (128, about 4 s) for the supernet to learn, so that the choice and the
// exported network (its own batch-norm statistics) are better than chance on test images.
TEST(ChainSearchTest, TheExportedNetworkClassifiesUnseenImages) {
  if (!compress::testing::HaveFashionMnist()) GTEST_SKIP() << "no Fashion-MNIST";
  compress::ImageSet data = compress::testing::FashionMnist(Split::kTrain, 4096);
  compress::ImageSet test = compress::testing::FashionMnist(Split::kTest, 1000);
  OneShotOptions o = Options();
  o.epochs = 4;
  o.batch_size = 64;
  o.valid_batches = 4;
  auto r = SearchOneShot(Tiny(), data, Norm(), o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GT(r->history.back().valid_accuracy, 0.3);
  compress::ImageBatches images(test, Norm());
  at::Tensor predicted = compress::testing::Forward(*r->model, images.Range(0, test.count)).argmax(1);
  double accuracy = (predicted == images.LabelRange(0, test.count)).to(torch::kFloat).mean().item<double>();
  EXPECT_GT(accuracy, 0.3);
}

}  // namespace
}  // namespace hone::nas
