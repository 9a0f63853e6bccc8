// Latency figures: the median with its spread, measured with warm-up on one libtorch
// thread unless asked otherwise.
#include <gtest/gtest.h>

#include "compress/graph/model_profile.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

TEST(LatencyStatsTest, MedianPercentilesAndStandardDeviation) {
  std::vector<double> ms;
  for (int i = 20; i >= 1; --i) ms.push_back(i);  // 1..20 ms, in any order
  LatencyStats s = SummarizeLatency(ms, 1);
  EXPECT_DOUBLE_EQ(s.median, 10.5);
  EXPECT_DOUBLE_EQ(s.p10, 2);   // nearest rank: ceil(0.1 x 20) = 2nd
  EXPECT_DOUBLE_EQ(s.p90, 18);  // 18th
  EXPECT_DOUBLE_EQ(s.mean, 10.5);
  EXPECT_NEAR(s.stdev, 5.9161, 1e-4);
  EXPECT_EQ(s.runs, 20);
  EXPECT_EQ(LatencyText(s), "10.500 ms (p10-p90 2.000-18.000, 20 runs, 1 thread)");
  LatencyStats one = SummarizeLatency({3.0}, 2);
  EXPECT_DOUBLE_EQ(one.p10, 3);
  EXPECT_DOUBLE_EQ(one.stdev, 0);
  EXPECT_EQ(LatencyText(one), "3.000 ms (p10-p90 3.000-3.000, 1 runs, 2 threads)");
}

TEST(LatencyStatsTest, TimesOnOneThreadByDefault) {
  auto net = testing::WithGraph(BuildZooModel({.name = "lenet5"}), {1, 1, 28, 28});
  ASSERT_TRUE(net);
  at::set_num_threads(2);
  auto s = MeasureLatency(net->model, {1, 1, 28, 28}, {.warmup = 1, .repeats = 5});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->threads, 1);
  EXPECT_EQ(at::get_num_threads(), 1);
  EXPECT_EQ(s->runs, 5);
  EXPECT_GT(s->median, 0);
  EXPECT_LE(s->p10, s->median);
  EXPECT_GE(s->p90, s->median);
  auto two = MeasureLatency(net->model, {1, 1, 28, 28}, {.warmup = 1, .repeats = 2, .threads = 2});
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->threads, 2);
}

}  // namespace
}  // namespace hone::compress
