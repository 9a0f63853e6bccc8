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

}  // namespace
