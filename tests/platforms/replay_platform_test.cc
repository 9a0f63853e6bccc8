#include "platforms/replay_platform.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/experiment_config.h"
#include "platforms/builtin_platforms.h"
#include "trials/protocol.h"

namespace hone {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kCurves = R"({"hone_curves": 1, "metric": "accuracy", "synthetic": true}
{"params": {"lr": 0.001, "opt": "sgd"}, "values": [0.5, 0.6, 0.7, 0.75], "seconds": [10, 10, 10, 10]}
{"params": {"lr": 0.01, "opt": "sgd"}, "values": [0.6, 0.7, 0.8, 0.85], "seconds": 5}

{"params": {"lr": 0.1, "opt": "adam"}, "values": [0.3, 0.2, 0.1], "seconds": [1, 2, 3]}
)";

ReplayCurves Curves() {
  auto c = ReplayCurves::Parse(kCurves, "curves.jsonl");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return *c;
}

TrialLaunch Launch(int64_t seq, json params, const std::string& dir = "") {
  TrialLaunch l;
  l.seq = seq;
  l.trial_dir = dir;
  l.env["HONE_PARAMS"] = params.dump();
  return l;
}

// Polls until every launched trial exited; returns the events in order.
std::vector<PlatformEvent> Drain(ReplayPlatform& p, int trials) {
  std::vector<PlatformEvent> all;
  int exited = 0;
  for (int turn = 0; turn < 1000 && exited < trials; ++turn) {
    std::vector<PlatformEvent> events;
    EXPECT_TRUE(p.Poll(std::chrono::milliseconds(100), &events).ok());
    for (auto& e : events) {
      exited += e.kind == PlatformEvent::Kind::kExited;
      all.push_back(std::move(e));
    }
  }
  return all;
}

std::vector<double> Intermediates(const std::vector<PlatformEvent>& events, int64_t seq) {
  std::vector<double> out;
  for (const auto& e : events) {
    if (e.seq != seq || e.kind != PlatformEvent::Kind::kStdoutLine) continue;
    Report r = ParseReportLine(e.line);
    if (r.kind == Report::Kind::kIntermediate) out.push_back(r.value);
  }
  return out;
}

std::optional<Report> Final(const std::vector<PlatformEvent>& events, int64_t seq) {
  for (const auto& e : events) {
    if (e.seq != seq || e.kind != PlatformEvent::Kind::kStdoutLine) continue;
    Report r = ParseReportLine(e.line);
    if (r.kind == Report::Kind::kFinal) return r;
  }
  return std::nullopt;
}

TEST(ReplayCurvesTest, ParsesRecordsHeaderAndScalarSeconds) {
  ReplayCurves c = Curves();
  ASSERT_EQ(c.records().size(), 3u);
  EXPECT_EQ(c.header()["synthetic"], true);
  EXPECT_EQ(c.records()[1].seconds, (std::vector<double>{5, 5, 5, 5}));
}

TEST(ReplayCurvesTest, BadLinesNameFileAndLine) {
  for (const auto& [text, want] : std::vector<std::pair<std::string, std::string>>{
           {"{\"params\": {}, \"values\": []}\n", "curves.jsonl:1: values"},
           {"\n[1, 2]\n", "curves.jsonl:2: expected a JSON object"},
           {"{\"params\": {}, \"values\": [1, 2], \"seconds\": [1]}\n", "curves.jsonl:1: seconds"},
           {"{\"values\": [1]}\n", "curves.jsonl:1: params"},
           {"{\"hone_curves\": 1}\n", "no curves"}}) {
    auto c = ReplayCurves::Parse(text, "curves.jsonl");
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_NE(c.status().message().find(want), std::string::npos) << c.status().message();
  }
  EXPECT_EQ(ReplayCurves::Load("/nonexistent/curves.jsonl").status().code(), StatusCode::kIo);
}

TEST(ReplayCurvesTest, ExactMatchThenNearestInLogSpaceThenCategories) {
  ReplayCurves c = Curves();
  EXPECT_EQ(c.Nearest({{"lr", 0.01}, {"opt", "sgd"}}), 1u);
  EXPECT_EQ(c.Nearest({{"opt", "sgd"}, {"lr", 0.01}, {"TRIAL_BUDGET", 3}}), 1u);  // scheduler keys ignored
  // 0.004 is nearer 0.01 than 0.001 in log space (but not linearly: 0.003 vs 0.006).
  EXPECT_EQ(c.Nearest({{"lr", 0.004}, {"opt", "sgd"}}), 1u);
  EXPECT_EQ(c.Nearest({{"lr", 0.002}, {"opt", "sgd"}}), 0u);
  EXPECT_EQ(c.Nearest({{"lr", 0.05}, {"opt", "adam"}}), 2u);
  EXPECT_EQ(c.Nearest({{"lr", 0.05}, {"opt", "sgd"}}), 1u);
}

TEST(ReplayPlatformTest, PlaysACurveOnTheSimulatedClock) {
  ReplayPlatform p(Curves(), {});
  ASSERT_TRUE(p.Start().ok());
  double t0 = p.now();
  ASSERT_TRUE(p.Launch(Launch(0, {{"lr", 0.001}, {"opt", "sgd"}})).ok());
  auto events = Drain(p, 1);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().kind, PlatformEvent::Kind::kStarted);
  EXPECT_EQ(events.back().kind, PlatformEvent::Kind::kExited);
  EXPECT_EQ(events.back().exit_code, 0);
  EXPECT_EQ(Intermediates(events, 0), (std::vector<double>{0.5, 0.6, 0.7, 0.75}));
  auto final_report = Final(events, 0);
  ASSERT_TRUE(final_report.has_value());
  EXPECT_DOUBLE_EQ(final_report->value, 0.75);
  EXPECT_EQ(final_report->metrics["epochs"], 4);
  EXPECT_DOUBLE_EQ(p.now() - t0, 40);
  EXPECT_EQ(p.SimulatedClock()->Now(), p.now());
}

TEST(ReplayPlatformTest, TrialBudgetLimitsTheEpochs) {
  ReplayPlatform p(Curves(), {});
  ASSERT_TRUE(p.Start().ok());
  ASSERT_TRUE(p.Launch(Launch(0, {{"lr", 0.01}, {"opt", "sgd"}, {"TRIAL_BUDGET", 2}})).ok());
  ASSERT_TRUE(p.Launch(Launch(1, {{"lr", 0.01}, {"opt", "sgd"}, {"TRIAL_BUDGET", 99}})).ok());
  auto events = Drain(p, 2);
  EXPECT_EQ(Intermediates(events, 0), (std::vector<double>{0.6, 0.7}));
  EXPECT_DOUBLE_EQ(Final(events, 0)->value, 0.7);
  EXPECT_EQ(Intermediates(events, 1).size(), 4u);
}

TEST(ReplayCurvesTest, TakenRecordsArePassedOverUnlessAllAreTaken) {
  ReplayCurves c = Curves();
  std::vector<bool> taken = {false, true, false};
  EXPECT_EQ(c.Nearest({{"lr", 0.012}, {"opt", "sgd"}}, &taken), 0u);      // 1 is nearer but taken
  EXPECT_EQ(c.Nearest({{"lr", 0.01}, {"opt", "sgd"}}, &taken), 1u);       // an exact match still wins
  taken = {true, true, true};
  EXPECT_EQ(c.Nearest({{"lr", 0.012}, {"opt", "sgd"}}, &taken), 1u);      // all taken: plain nearest
}

TEST(ReplayPlatformTest, DistinctGivesEachConfigurationItsOwnRecordAndPromotionsTheSame) {
  ReplayOptions options;
  options.distinct = true;
  ReplayPlatform p(Curves(), options);
  ASSERT_TRUE(p.Start().ok());
  ASSERT_TRUE(p.Launch(Launch(0, {{"lr", 0.011}, {"opt", "sgd"}, {"TRIAL_BUDGET", 1}})).ok());
  ASSERT_TRUE(p.Launch(Launch(1, {{"lr", 0.012}, {"opt", "sgd"}})).ok());                 // near 1, which is taken
  ASSERT_TRUE(p.Launch(Launch(2, {{"lr", 0.011}, {"opt", "sgd"}, {"TRIAL_BUDGET", 3}})).ok());  // promotion of 0
  auto events = Drain(p, 3);
  EXPECT_EQ(Intermediates(events, 0), (std::vector<double>{0.6}));
  EXPECT_EQ(Intermediates(events, 1), (std::vector<double>{0.5, 0.6, 0.7, 0.75}));
  EXPECT_EQ(Intermediates(events, 2), (std::vector<double>{0.6, 0.7, 0.8}));

  ReplayPlatform plain(Curves(), {});  // without it both configurations replay record 1
  ASSERT_TRUE(plain.Start().ok());
  ASSERT_TRUE(plain.Launch(Launch(0, {{"lr", 0.011}, {"opt", "sgd"}})).ok());
  ASSERT_TRUE(plain.Launch(Launch(1, {{"lr", 0.012}, {"opt", "sgd"}})).ok());
  auto plain_events = Drain(plain, 2);
  EXPECT_EQ(Intermediates(plain_events, 0), Intermediates(plain_events, 1));
}

TEST(ReplayPlatformTest, KillStopsTheTrialWhereItIs) {
  ReplayPlatform p(Curves(), {});
  ASSERT_TRUE(p.Start().ok());
  double t0 = p.now();
  ASSERT_TRUE(p.Launch(Launch(0, {{"lr", 0.001}, {"opt", "sgd"}})).ok());
  std::vector<double> seen;
  bool exited = false;
  int signal = 0;
  for (int turn = 0; turn < 100 && !exited; ++turn) {
    std::vector<PlatformEvent> events;
    ASSERT_TRUE(p.Poll(std::chrono::milliseconds(100), &events).ok());
    for (const auto& e : events) {
      if (e.kind == PlatformEvent::Kind::kExited) {
        exited = true;
        signal = e.signal;
      }
      if (e.kind != PlatformEvent::Kind::kStdoutLine) continue;
      Report r = ParseReportLine(e.line);
      ASSERT_NE(r.kind, Report::Kind::kFinal);
      seen.push_back(r.value);
      if (seen.size() == 2) {
        ASSERT_TRUE(p.Kill(0).ok());  // an assessor's verdict on epoch 2
      }
    }
  }
  EXPECT_TRUE(exited);
  EXPECT_EQ(signal, 15);
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_DOUBLE_EQ(p.now() - t0, 20);
  EXPECT_TRUE(p.Kill(0).ok());  // already exited: nothing to do
  EXPECT_EQ(p.Kill(7).code(), StatusCode::kNotFound);
}

TEST(ReplayPlatformTest, ConcurrentTrialsInterleaveInSimulatedTime) {
  ReplayPlatform p(Curves(), {});
  ASSERT_TRUE(p.Start().ok());
  ASSERT_TRUE(p.Launch(Launch(0, {{"lr", 0.001}, {"opt", "sgd"}})).ok());  // 10 s epochs
  ASSERT_TRUE(p.Launch(Launch(1, {{"lr", 0.01}, {"opt", "sgd"}})).ok());   // 5 s epochs
  double t0 = p.now();
  auto events = Drain(p, 2);
  // Trial 1 (20 s in all) ends before trial 0 (40 s); both ran at once.
  int64_t first_exit = -1;
  for (const auto& e : events)
    if (e.kind == PlatformEvent::Kind::kExited && first_exit < 0) first_exit = e.seq;
  EXPECT_EQ(first_exit, 1);
  EXPECT_DOUBLE_EQ(p.now() - t0, 40);
}

TEST(ReplayPlatformTest, CheckpointsCarryTheEpochForward) {
  fs::path dir = fs::path(testing::TempDir()) / "hone-replay-checkpoint";
  fs::remove_all(dir);
  ReplayPlatform p(Curves(), {});
  ASSERT_TRUE(p.Start().ok());
  json first = {{"lr", 0.01}, {"opt", "sgd"}, {"TRIAL_BUDGET", 2}, {"load_checkpoint_dir", ""},
                {"save_checkpoint_dir", (dir / "0").string()}};
  ASSERT_TRUE(p.Launch(Launch(0, first, (dir / "trial0").string())).ok());
  Drain(p, 1);
  EXPECT_TRUE(fs::exists(dir / "0" / "replay_checkpoint.json"));
  EXPECT_TRUE(fs::exists(dir / "trial0" / "stdout.log"));
  json second = {{"lr", 0.01}, {"opt", "sgd"}, {"TRIAL_BUDGET", 1}, {"load_checkpoint_dir", (dir / "0").string()},
                 {"save_checkpoint_dir", (dir / "1").string()}};
  ASSERT_TRUE(p.Launch(Launch(1, second)).ok());
  auto events = Drain(p, 1);
  EXPECT_EQ(Intermediates(events, 1), (std::vector<double>{0.8}));  // epoch 3 of the curve
  fs::remove_all(dir);
}

TEST(ReplayPlatformTest, EpochsPerTrialSplitsACurveIntoGenerations) {
  fs::path dir = fs::path(testing::TempDir()) / "hone-replay-generations";
  fs::remove_all(dir);
  ReplayOptions options;
  options.epochs_per_trial = 2;
  ReplayPlatform p(Curves(), options);
  ASSERT_TRUE(p.Start().ok());
  json gen0 = {{"lr", 0.001}, {"opt", "sgd"}, {"load_checkpoint_dir", ""}, {"save_checkpoint_dir", (dir / "0").string()}};
  ASSERT_TRUE(p.Launch(Launch(0, gen0)).ok());
  EXPECT_EQ(Intermediates(Drain(p, 1), 0), (std::vector<double>{0.5, 0.6}));
  json gen1 = {{"lr", 0.001}, {"opt", "sgd"}, {"load_checkpoint_dir", (dir / "0").string()},
               {"save_checkpoint_dir", (dir / "1").string()}};
  ASSERT_TRUE(p.Launch(Launch(1, gen1)).ok());
  EXPECT_EQ(Intermediates(Drain(p, 1), 1), (std::vector<double>{0.7, 0.75}));
  fs::remove_all(dir);
}

TEST(ReplayPlatformTest, RegisteredAsReplayWithACurveFile) {
  Registry registry;
  RegisterBuiltinPlatforms(registry);
  const PlatformInfo* info = registry.FindPlatform("replay");
  ASSERT_NE(info, nullptr);
  fs::path file = fs::path(testing::TempDir()) / "hone-replay-curves.jsonl";
  std::ofstream(file) << kCurves;
  ExperimentConfig config;
  config.platform = "replay";
  config.base_dir = file.parent_path().string();
  config.platform_args = {{"curves", file.filename().string()}};
  auto platform = info->create(config);
  ASSERT_TRUE(platform.ok()) << platform.status().message();
  EXPECT_NE((*platform)->SimulatedClock(), nullptr);
  config.platform_args = {{"curves", "missing.jsonl"}};
  EXPECT_FALSE(info->create(config).ok());
  fs::remove(file);
}

}  // namespace
}  // namespace hone
