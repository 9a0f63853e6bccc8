// `hone compress ...` runs hone-compress beside the hone binary, or says that hone was
// built without libtorch.
#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "../compress_test_util.h"

namespace {

namespace fs = std::filesystem;

using Result = hone::compress::testing::CommandResult;

Result Shell(const std::string& command) { return hone::compress::testing::RunCommand(command); }

TEST(CompressDispatchTest, WithoutHoneCompressBesideItHoneSaysSoAndExitsTwo) {
  fs::path dir = fs::temp_directory_path() / ("hone_dispatch_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy_file(HONE_BINARY, dir / "hone");
  Result r = Shell((dir / "hone").string() + " compress zoo");
  fs::remove_all(dir);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("hone was built without libtorch"), std::string::npos) << r.output;
}

TEST(CompressDispatchTest, PassesEveryArgumentToHoneCompress) {
  if (!HONE_COMPRESS_BUILT) GTEST_SKIP() << "hone-compress is not built (no libtorch)";
  Result list = Shell(std::string(HONE_BINARY) + " compress zoo");
  EXPECT_EQ(list.code, 0) << list.output;
  EXPECT_NE(list.output.find("mobilenetv2-small"), std::string::npos) << list.output;
  Result help = Shell(std::string(HONE_BINARY) + " compress --help");
  EXPECT_EQ(help.code, 0) << help.output;
  EXPECT_NE(help.output.find("profile"), std::string::npos) << help.output;
  Result bad = Shell(std::string(HONE_BINARY) + " compress zoo resnet99 --out /dev/null");
  EXPECT_EQ(bad.code, 2) << bad.output;
  EXPECT_NE(bad.output.find("unknown model 'resnet99'"), std::string::npos) << bad.output;
}

TEST(CompressDispatchTest, HelpIsCompresssOwn) {
  if (!HONE_COMPRESS_BUILT) GTEST_SKIP() << "hone-compress is not built (no libtorch)";
  for (const char* flag : {"--help", "-h"}) {
    Result help = Shell(std::string(HONE_BINARY) + " compress " + flag);
    EXPECT_EQ(help.code, 0) << help.output;
    EXPECT_NE(help.output.find("Usage: hone compress [OPTIONS] SUBCOMMAND"), std::string::npos) << help.output;
    EXPECT_NE(help.output.find("prune"), std::string::npos) << help.output;
    EXPECT_EQ(help.output.find("hyperparameter tuning"), std::string::npos) << help.output;  // not hone's own help
  }
  Result prune_help = Shell(std::string(HONE_BINARY) + " compress prune --help");
  EXPECT_EQ(prune_help.code, 0) << prune_help.output;
  EXPECT_NE(prune_help.output.find("--latency-threads"), std::string::npos) << prune_help.output;
}

TEST(CompressDispatchTest, UnknownCommandSaysSoWithTheKnownOnes) {
  if (!HONE_COMPRESS_BUILT) GTEST_SKIP() << "hone-compress is not built (no libtorch)";
  const std::string known = "(known: train, evaluate, zoo, profile, prune, quantize, amc-space, amc-trial, amc-tuner)";
  Result amc = Shell(std::string(HONE_BINARY) + " compress amc model.pt");
  EXPECT_EQ(amc.code, 2) << amc.output;
  EXPECT_NE(amc.output.find("hone compress: error: unknown compress command 'amc' " + known), std::string::npos)
      << amc.output;
  EXPECT_NE(amc.output.find("AMC is `pruner: amc` in a prune configuration, or an experiment with amc-space"),
            std::string::npos)
      << amc.output;
  EXPECT_EQ(amc.output.find("A subcommand is required"), std::string::npos) << amc.output;
  Result typo = Shell(std::string(HONE_BINARY) + " compress prun m.pt");
  EXPECT_EQ(typo.code, 2) << typo.output;
  EXPECT_NE(typo.output.find("did you mean 'prune'?"), std::string::npos) << typo.output;
  Result speedup = Shell(std::string(HONE_BINARY) + " compress speedup");
  EXPECT_NE(speedup.output.find("set speedup: true"), std::string::npos) << speedup.output;
  Result none = Shell(std::string(HONE_BINARY) + " compress");
  EXPECT_EQ(none.code, 2) << none.output;
}

}  // namespace
