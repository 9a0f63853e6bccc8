#include "platforms/gpu_scheduler.h"

#include <gtest/gtest.h>

namespace hone {
namespace {

using Gpus = std::vector<int>;

TEST(GpuSchedulerTest, OneTrialPerGpu) {
  GpuScheduler s({1, 0}, 1);
  EXPECT_EQ(s.Capacity(1), 2);
  EXPECT_EQ(s.Acquire(1), Gpus{0});
  EXPECT_EQ(s.Acquire(1), Gpus{1});
  EXPECT_EQ(s.Capacity(1), 0);
  EXPECT_EQ(s.Acquire(1), std::nullopt);
  s.Release({0});
  EXPECT_EQ(s.Capacity(1), 1);
  EXPECT_EQ(s.Acquire(1), Gpus{0});
}

TEST(GpuSchedulerTest, LeastLoadedFirstWithSeveralTrialsPerGpu) {
  GpuScheduler s({0, 1}, 2);
  EXPECT_EQ(s.Capacity(1), 4);
  EXPECT_EQ(s.Acquire(1), Gpus{0});
  EXPECT_EQ(s.Acquire(1), Gpus{1});
  EXPECT_EQ(s.Acquire(1), Gpus{0});
  EXPECT_EQ(s.Load(0), 2);
  EXPECT_EQ(s.Acquire(1), Gpus{1});
  EXPECT_EQ(s.Acquire(1), std::nullopt);
  s.Release({1});
  EXPECT_EQ(s.Acquire(1), Gpus{1});
}

TEST(GpuSchedulerTest, MultiGpuTrialsGetDistinctGpus) {
  GpuScheduler s({0, 1, 2, 3}, 1);
  EXPECT_EQ(s.Capacity(2), 2);
  EXPECT_EQ(s.Capacity(3), 1);
  EXPECT_EQ(s.Capacity(4), 1);
  EXPECT_EQ(s.Capacity(5), 0);
  EXPECT_EQ(s.Acquire(2), (Gpus{0, 1}));
  EXPECT_EQ(s.Acquire(2), (Gpus{2, 3}));
  EXPECT_EQ(s.Acquire(1), std::nullopt);
}

TEST(GpuSchedulerTest, CapacityCountsDistinctGpusNotSlots) {
  GpuScheduler s({0, 1}, 3);
  ASSERT_EQ(s.Acquire(1), Gpus{0});
  ASSERT_EQ(s.Acquire(1), Gpus{1});
  ASSERT_EQ(s.Acquire(1), Gpus{0});  // free: GPU0 1 slot, GPU1 2 slots
  EXPECT_EQ(s.Capacity(2), 1);        // 3 free slots, but only one pair of distinct GPUs
  EXPECT_EQ(s.Capacity(1), 3);
  EXPECT_EQ(s.Acquire(2), (Gpus{0, 1}));
  EXPECT_EQ(s.Capacity(2), 0);
  EXPECT_EQ(s.Acquire(2), std::nullopt);
}

TEST(GpuSchedulerTest, ForeignBusyGpusTakeNoTrials) {
  GpuScheduler s({0, 1}, 1);
  s.SetForeignBusy({0});
  EXPECT_EQ(s.Capacity(1), 1);
  EXPECT_EQ(s.Acquire(1), Gpus{1});
  EXPECT_EQ(s.Acquire(1), std::nullopt);
  s.SetForeignBusy({});
  EXPECT_EQ(s.Acquire(1), Gpus{0});
}

TEST(GpuIndicesTest, AcceptsEveryNniForm) {
  EXPECT_EQ(*ParseGpuIndices(nlohmann::json::array({0, 2})), (Gpus{0, 2}));
  EXPECT_EQ(*ParseGpuIndices(3), Gpus{3});
  EXPECT_EQ(*ParseGpuIndices("0,1"), (Gpus{0, 1}));
  EXPECT_EQ(*ParseGpuIndices(" 1 , 3 "), (Gpus{1, 3}));
  EXPECT_EQ(*ParseGpuIndices(nullptr), Gpus{});
}

TEST(GpuIndicesTest, RejectsWhatIsNotAnIndexList) {
  struct Case {
    nlohmann::json value;
    const char* error_part;
  };
  const Case cases[] = {
      {-1, "non-negative integers, but got -1"},
      {nlohmann::json::array({0, "1"}), "each entry must be an integer, but got \"1\""},
      {nlohmann::json::array({0, 1.5}), "but got 1.5"},
      {"0,x", "comma-separated integers like \"0,1\", but got \"0,x\""},
      {"", "but got \"\""},
      {"0,,1", "but got \"0,,1\""},
      {nlohmann::json::array({1, 1}), "GPU 1 is listed twice"},
      {true, "must be a list of integers, an integer or a string"},
      {nlohmann::json::object(), "must be a list of integers"},
      {nlohmann::json::array({std::string("\xFF")}), "each entry must be an integer"},
  };
  for (const Case& c : cases) {
    StatusOr<std::vector<int>> got = Internal("not parsed");
    ASSERT_NO_THROW(got = ParseGpuIndices(c.value));
    ASSERT_FALSE(got.ok()) << c.error_part;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(got.status().message().find(c.error_part), std::string::npos) << got.status().message();
  }
}

}  // namespace
}  // namespace hone
