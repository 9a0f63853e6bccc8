// hone-compress end to end: train, evaluate and profile through the real executable.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "compress_test_util.h"

namespace hone::compress {
namespace {

using testing::ScratchDir;

using testing::Compress;
using Result = testing::CommandResult;

TEST(CompressCliSlowTest, TrainEvaluateProfile) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ScratchDir dir("cli");
  Result train = Compress("train --model cnn2 --width 8 --data fashion-mnist --epochs 1 --train-subset 300 "
                     "--test-subset 200 --batch-size 32 --threads 1 --out " + (dir / "m.pt"));
  ASSERT_EQ(train.code, 0) << train.output;
  EXPECT_NE(train.output.find("epoch 1/1"), std::string::npos) << train.output;
  EXPECT_NE(train.output.find("300 training and 200 test images"), std::string::npos) << train.output;

  Result eval = Compress("evaluate " + (dir / "m.pt") + " --data fashion-mnist --test-subset 200 --threads 1");
  ASSERT_EQ(eval.code, 0) << eval.output;
  EXPECT_NE(eval.output.find("(200 images): accuracy"), std::string::npos) << eval.output;

  Result profile = Compress("profile " + (dir / "m.pt") + " --input 1,1,28,28 --repeats 2 --threads 1");
  ASSERT_EQ(profile.code, 0) << profile.output;
  // cnn2 at width 8: conv1 8x28x28 outputs x 9 MACs + bias = 62,720 FLOPs.
  EXPECT_NE(profile.output.find("62,720"), std::string::npos) << profile.output;
  EXPECT_NE(profile.output.find("fc2"), std::string::npos) << profile.output;

  std::ofstream(dir / "l1.yaml") << "pruner: l1\nconfig_list: [{op_types: [Conv2d], sparse_ratio: 0.5}]\nspeedup: true\n";
  Result prune = Compress("prune " + (dir / "m.pt") + " --config " + (dir / "l1.yaml") +
                          " --input 4,1,28,28 --data fashion-mnist --test-subset 200 --threads 1 --out " +
                          (dir / "p.pt") + " --report " + (dir / "p.json"));
  ASSERT_EQ(prune.code, 0) << prune.output;
  // conv1 8 -> 4 and conv2 16 -> 8 filters: conv1, conv2 and fc1 each lose half their inputs or outputs.
  EXPECT_NE(prune.output.find("speedup: parameters 26698 -> 13242"), std::string::npos) << prune.output;
  EXPECT_NE(prune.output.find("test accuracy"), std::string::npos) << prune.output;
  std::ifstream report(dir / "p.json");
  std::string json((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
  EXPECT_NE(json.find("\"flops_after\""), std::string::npos) << json;

  Result tune = Compress("train --init " + (dir / "p.pt") + " --epochs 1 --train-subset 200 --test-subset 200 "
                         "--threads 1 --out " + (dir / "p_ft.pt"));
  ASSERT_EQ(tune.code, 0) << tune.output;
  EXPECT_NE(tune.output.find((dir / "p.pt") + ": "), std::string::npos) << tune.output;
}

double AccuracyAfter(const std::string& output) {
  const std::string key = "% before, ";
  size_t at = output.find(key);
  return at == std::string::npos ? -1 : std::stod(output.substr(at + key.size()));
}

// Global unstructured 70% of a briefly trained resnet20, no fine-tuning: level's zeros
// leave the batch norms' statistics behind, obs compensates from calibration images.
TEST(CompressCliSlowTest, ObsKeepsAccuracyWhereLevelLosesIt) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ScratchDir dir("cli_obs");
  Result train = Compress("train --model resnet20 --width 8 --data fashion-mnist --epochs 1 --train-subset 3000 "
                          "--test-subset 1000 --threads 2 --out " + (dir / "m.pt"));
  ASSERT_EQ(train.code, 0) << train.output;
  double accuracy[2];
  for (int i = 0; i < 2; ++i) {
    const std::string pruner = i == 0 ? "level" : "obs";
    std::ofstream(dir / (pruner + ".yaml"))
        << "pruner: " << pruner << "\nconfig_list: [{op_types: [Conv2d, Linear], sparse_ratio: 0.7, global_group_id: all}]\n"
        << "pruner_options: {batches: 8, batch_size: 64}\n";
    Result prune = Compress("prune " + (dir / "m.pt") + " --config " + (dir / (pruner + ".yaml")) +
                            " --input 1,1,28,28 --data fashion-mnist --test-subset 1000 --threads 2 --out " +
                            (dir / (pruner + ".pt")));
    ASSERT_EQ(prune.code, 0) << prune.output;
    EXPECT_NE(prune.output.find(pruner + ": "), std::string::npos) << prune.output;
    EXPECT_NE(prune.output.find("(70.0%)"), std::string::npos) << prune.output;
    accuracy[i] = AccuracyAfter(prune.output);
    ASSERT_GT(accuracy[i], 0) << prune.output;
  }
  Result dense = Compress("evaluate " + (dir / "m.pt") + " --data fashion-mnist --test-subset 1000 --threads 2");
  ASSERT_EQ(dense.code, 0) << dense.output;
  const double dense_accuracy = std::stod(dense.output.substr(dense.output.find("accuracy ") + 9));
  EXPECT_GT(accuracy[1], accuracy[0] + 10) << "level " << accuracy[0] << "%, obs " << accuracy[1] << "%";
  EXPECT_GT(accuracy[1], dense_accuracy - 5) << "dense " << dense_accuracy << "%, obs " << accuracy[1] << "%";
}

TEST(CompressCliSlowTest, FashionMnistExampleTrialReportsEachEpoch) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  Result r;
  std::string params = R"({"epochs": 2, "train_subset": 300, "test_subset": 200, "width": 8, "batch_size": 32,)"
                       R"( "optimizer": {"_name": "adam", "lr": 0.002}, "dropout": 0.1})";
  FILE* p = popen(("HONE_PARAMS='" + params + "' " + HONE_FASHION_MNIST_TRIAL + " 2>/dev/null").c_str(), "r");
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  ASSERT_EQ(WEXITSTATUS(pclose(p)), 0) << r.output;
  EXPECT_NE(r.output.find(R"(@hone {"type":"intermediate","step":0,"value":)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(R"(@hone {"type":"intermediate","step":1,"value":)"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(R"("step":2)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(R"(@hone {"type":"final","value":{"default":)"), std::string::npos) << r.output;
}

// An NNI-style configuration through the real executable: NNI's pruner class name and
// config_list keys, then latency with its spread, on one thread unless asked otherwise.
TEST(CompressCliTest, PrunesWithNniNamesAndReportsLatencySpread) {
  ScratchDir dir("cli_nni");
  Result zoo = Compress("zoo mobilenetv2-small --out " + (dir / "m.pt"));
  ASSERT_EQ(zoo.code, 0) << zoo.output;
  std::ofstream(dir / "p.yaml") << "pruner: L1NormPruner\nconfig_list:\n"
                                   "  - {op_types: [Conv2d], sparsity_per_layer: 0.5, op_partial_names: [expand]}\n"
                                   "  - {op_names_re: ['block[67]\\.'], exclude: true}\n"
                                   "  - {op_names: [fc], sparsity: 0.5}\nspeedup: true\n";
  for (int threads : {1, 2}) {
    const std::string flag = threads == 1 ? "" : " --latency-threads 2";
    Result prune = Compress("prune " + (dir / "m.pt") + " --config " + (dir / "p.yaml") +
                            " --input 1,1,28,28 --latency-repeats 4 --out " + (dir / "p.pt") + " --report " +
                            (dir / "r.json") + flag);
    ASSERT_EQ(prune.code, 0) << prune.output;
    EXPECT_NE(prune.output.find("block1.expand_conv"), std::string::npos) << prune.output;
    EXPECT_EQ(prune.output.find("block6.expand_conv"), std::string::npos) << prune.output;
    EXPECT_NE(prune.output.find("\nl1: "), std::string::npos) << prune.output;
    EXPECT_NE(prune.output.find("these selected layers keep all their channels:\n  fc: the model's output"),
              std::string::npos) << prune.output;
    const std::string runs = threads == 1 ? "4 runs, 1 thread)" : "4 runs, 2 threads)";
    const size_t latency = prune.output.find("latency: ");
    ASSERT_NE(latency, std::string::npos) << prune.output;
    EXPECT_NE(prune.output.find("p10-p90 ", latency), std::string::npos) << prune.output;
    EXPECT_NE(prune.output.find(runs, latency), std::string::npos) << prune.output;
    EXPECT_NE(prune.output.find("median after 5 warm-up runs", latency), std::string::npos) << prune.output;
    std::ifstream in(dir / "r.json");
    std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(json.find("\"latency_threads\": " + std::to_string(threads)), std::string::npos) << json;
    EXPECT_NE(json.find("\"p90\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"kept_whole\": [\n    \"fc: the model's output\"\n  ]"), std::string::npos) << json;
  }
  std::ofstream(dir / "bad.yaml") << "pruner: MovementPruner\nconfig_list: [{sparsity: 0.5, op_type: [Conv2d]}]\n";
  Result bad = Compress("prune " + (dir / "m.pt") + " --config " + (dir / "bad.yaml") + " --out " + (dir / "q.pt"));
  EXPECT_EQ(bad.code, 2) << bad.output;
  const std::string origin = dir / "bad.yaml";
  EXPECT_EQ(bad.output.rfind(origin + ":1:9: error: pruner: NNI's MovementPruner is not available in hone", 0), 0u)
      << bad.output;  // the diagnostic leads the line, without a second prefix
  EXPECT_NE(bad.output.find(origin + ":2:31: error: config_list[0].op_type: is not a config_list key"),
            std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("did you mean 'op_types'?"), std::string::npos) << bad.output;
}

// On a terminal (util-linux `script` gives the command one), obs rewrites one progress
// line per layer in place; piped, it prints a line per layer.
TEST(CompressCliTest, ObsProgressIsOneLineOnATerminal) {
  if (!testing::HaveFashionMnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  if (testing::RunShell("command -v script >/dev/null") != 0) GTEST_SKIP() << "util-linux script is missing";
  ScratchDir dir("cli_obs_tty");
  ASSERT_EQ(Compress("zoo cnn2 --width 4 --out " + (dir / "m.pt")).code, 0);
  std::ofstream(dir / "obs.yaml") << "pruner: obs\nconfig_list: [{op_types: [Conv2d, Linear], sparsity: 0.5}]\n"
                                     "pruner_options: {batches: 1, batch_size: 16}\n";
  const std::string args = "prune " + (dir / "m.pt") + " --config " + (dir / "obs.yaml") +
                           " --data fashion-mnist --train-subset 16 --test-subset 16 --threads 1 --out " + (dir / "o.pt");
  Result piped = Compress(args);
  ASSERT_EQ(piped.code, 0) << piped.output;
  EXPECT_NE(piped.output.find("obs: layer 1/4 conv1: "), std::string::npos) << piped.output;
  EXPECT_NE(piped.output.find("weights removed, ", piped.output.find("obs: layer 4/4 fc2")), std::string::npos)
      << piped.output;
  EXPECT_EQ(piped.output.find('\r'), std::string::npos) << piped.output;
  Result tty = testing::RunCommand("script -qec '" + std::string(HONE_COMPRESS_BINARY) + " " + args + "' /dev/null");
  ASSERT_EQ(tty.code, 0) << tty.output;
  EXPECT_NE(tty.output.find("\r\033[Kobs: layer 2/4 conv2 ...\r\033[Kobs: layer 2/4 conv2: "), std::string::npos)
      << tty.output;
  EXPECT_EQ(tty.output.find("\nobs: layer 2/4"), std::string::npos) << tty.output;  // not a line each
}

TEST(CompressCliTest, ErrorsAreUsageErrors) {
  struct Case {
    const char* args;
    int code;  // the exit code; -1: any failure
    const char* message;
    const char* absent = nullptr;  // must not be in the output
  };
  const Case cases[] = {
      {"train --data imagenet --out /dev/null", 2, "unknown data set 'imagenet'"},
      {"evaluate /nonexistent/m.pt", 2, "cannot load the TorchScript model"},
      {"profile /nonexistent/m.pt --input 1,x", 2, "positive integers"},
      {"train --device tpu --out /dev/null", -1, "device must be cpu, cuda or auto"},
      {"prune /nonexistent/m.pt --config /dev/null --out /dev/null --calibrate-bn -3", -1, "--calibrate-bn",
       "cannot load"},  // rejected before loading
  };
  for (const Case& c : cases) {
    Result r = Compress(c.args);
    if (c.code >= 0) {
      EXPECT_EQ(r.code, c.code) << c.args << "\n" << r.output;
    } else {
      EXPECT_NE(r.code, 0) << c.args << "\n" << r.output;
    }
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << "\n" << r.output;
    if (c.absent != nullptr) {
      EXPECT_EQ(r.output.find(c.absent), std::string::npos) << c.args << "\n" << r.output;
    }
  }
}

}  // namespace
}  // namespace hone::compress
