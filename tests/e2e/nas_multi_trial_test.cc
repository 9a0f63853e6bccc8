// End-to-end: a multi-trial architecture search is an ordinary experiment. `hone nas
// search-space` writes a model space's decisions as the search space, and `hone nas train
// --space` is the trial command that builds each sampled architecture, trains it on real
// Fashion-MNIST images and reports its test accuracy per epoch; each trial leaves its cell
// as a picture (cell.svg), as text and as an architecture file in its output directory.
#include <filesystem>

#include <gtest/gtest.h>

#include "e2e_util.h"

namespace hone::e2e {
namespace {

TEST(NasMultiTrialTest, EvolutionOverACellSpaceTrainsRealArchitectures) {
  if (!std::filesystem::exists(std::string(HONE_BUILD_DIR) + "/hone-nas")) GTEST_SKIP() << "built without libtorch";
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "no Fashion-MNIST";
  HoneEnv env;
  RunResult space = env.Run({"nas", "search-space", "nb201-small", "--out", env.work() + "/space.json"});
  ASSERT_EQ(space.exit_code, 0) << space.out << space.err;
  std::string cfg =
      "experimentName: nas\nsearchSpaceFile: space.json\n"
      "trialCommand: " + std::string(HONE_BUILD_DIR) + "/hone nas train --space nb201-small --epochs 2 "
      "--train-subset 256 --test-subset 128 --batch-size 64 --threads 1\n"
      "trialConcurrency: 2\nmaxTrialNumber: 3\nseed: 3\n"
      "tuner:\n  name: regularized_evolution\n  classArgs: {optimize_mode: maximize}\n"
      "trainingService:\n  platform: local\n";
  RunResult r = env.Run({"run", env.WriteFile("exp.yaml", cfg), "-q"}, 600);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string id = env.OnlyExperimentId();
  auto trials = env.Query(id,
                          "SELECT t.seq, t.status, t.params, t.final, "
                          "(SELECT COUNT(*) FROM metrics m WHERE m.seq = t.seq) AS n "
                          "FROM trials t ORDER BY t.seq");
  ASSERT_EQ(trials.size(), 3u);
  for (auto& t : trials) {
    EXPECT_EQ(t["status"], "succeeded") << t["seq"];
    EXPECT_EQ(t["n"], "2") << "one report per epoch";
    EXPECT_NE(t["params"].find("edge_3_2"), std::string::npos) << t["params"];
    ASSERT_FALSE(t["final"].empty());
    double accuracy = std::stod(t["final"]);
    EXPECT_GE(accuracy, 0.0);
    EXPECT_LE(accuracy, 1.0);
    std::string log = ReadFile(env.ExperimentDir(id) + "/trials/" + t["seq"] + "/stderr.log");
    EXPECT_NE(log.find("of space nb201-small"), std::string::npos) << log;
    // The output directory: the cell's picture, its text and an architecture file that
    // holds the trial's decisions and reads back.
    std::string output = env.ExperimentDir(id) + "/trials/" + t["seq"] + "/output";
    std::string svg = ReadFile(output + "/cell.svg");
    EXPECT_EQ(svg.rfind("<svg", 0), 0u) << svg.substr(0, 200);
    EXPECT_NE(svg.find(">cell</text>"), std::string::npos);
    EXPECT_NE(ReadFile(output + "/arch.txt").find("node 3 <-"), std::string::npos);
    std::string arch = ReadFile(output + "/arch.yaml");
    EXPECT_NE(arch.find("space: nb201-small\n"), std::string::npos) << arch;
    nlohmann::json params = nlohmann::json::parse(t["params"]);
    for (auto it = params.begin(); it != params.end(); ++it)
      EXPECT_NE(arch.find("  " + it.key() + ": " + it.value().dump() + "\n"), std::string::npos) << it.key() << "\n" << arch;
    RunResult again = env.Run({"nas", "describe", output + "/arch.yaml"});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find(ReadFile(output + "/arch.txt")), std::string::npos) << again.out;
  }
}

TEST(NasMultiTrialTest, TrainOutsideAnExperimentNeedsAnArchitecture) {
  if (!std::filesystem::exists(std::string(HONE_BUILD_DIR) + "/hone-nas")) GTEST_SKIP() << "built without libtorch";
  HoneEnv env;
  RunResult r = env.Run({"nas", "train", "--space", "nb201-small"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a hone trial"), std::string::npos) << r.err;
  std::string arch = env.WriteFile("arch.yaml", "space: nb201-small\narchitecture: {edge_1_0: conv_3x5}\n");
  r = env.Run({"nas", "describe", arch});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("arch.yaml:2:26: error: architecture.edge_1_0: \"conv_3x5\" is not one of"), std::string::npos) << r.err;
}

TEST(NasMultiTrialTest, DescribeDrawsTheCells) {
  if (!std::filesystem::exists(std::string(HONE_BUILD_DIR) + "/hone-nas")) GTEST_SKIP() << "built without libtorch";
  HoneEnv env;
  std::string arch = env.WriteFile("arch.yaml",
                                   "space: darts\narchitecture:\n"
                                   "  normal.node2.op0: sep_conv_3x3\n  normal.node2.op1: skip_connect\n"
                                   "  normal.node3.inputs: '0+2'\n  normal.node3.op0: dil_conv_5x5\n  normal.node3.op1: sep_conv_5x5\n"
                                   "  normal.node4.inputs: '1+3'\n  normal.node4.op0: max_pool_3x3\n  normal.node4.op1: skip_connect\n"
                                   "  normal.node5.inputs: '2+4'\n  normal.node5.op0: sep_conv_3x3\n  normal.node5.op1: avg_pool_3x3\n"
                                   "  reduce.node2.op0: max_pool_3x3\n  reduce.node2.op1: max_pool_3x3\n"
                                   "  reduce.node3.inputs: '0+1'\n  reduce.node3.op0: skip_connect\n  reduce.node3.op1: none\n"
                                   "  reduce.node4.inputs: '0+1'\n  reduce.node4.op0: skip_connect\n  reduce.node4.op1: none\n"
                                   "  reduce.node5.inputs: '0+1'\n  reduce.node5.op0: skip_connect\n  reduce.node5.op1: none\n");
  RunResult r = env.Run({"nas", "describe", arch, "--svg", env.work() + "/cell.svg"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("node 4 <- max_pool_3x3(1) + skip_connect(3)"), std::string::npos) << r.out;
  std::string normal = ReadFile(env.work() + "/cell.svg");
  std::string reduce = ReadFile(env.work() + "/cell-reduce.svg");
  EXPECT_NE(normal.find(">dil_conv_5x5</text>"), std::string::npos);
  EXPECT_NE(reduce.find(">reduction cell</text>"), std::string::npos);
  EXPECT_EQ(reduce.find(">none</text>"), std::string::npos);
}

}  // namespace
}  // namespace hone::e2e
