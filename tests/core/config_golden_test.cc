// Golden bad-input files: every tests/testdata/bad_configs/NN_*.yaml must be rejected,
// and every line of its NN_*.expected must appear verbatim among the reported errors.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "assessors/builtin_assessors.h"
#include "core/config_reader.h"
#include "platforms/builtin_platforms.h"
#include "tuners/builtin_tuners.h"

namespace hone {
namespace {
namespace fs = std::filesystem;

const fs::path kDir = fs::path(HONE_TESTDATA_DIR) / "bad_configs";

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

std::vector<std::string> GoldenNames() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kDir))
    if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

class BadConfigGoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  BadConfigGoldenTest() {
    RegisterBuiltinTuners(registry_);
    RegisterBuiltinAssessors(registry_);
    RegisterBuiltinPlatforms(registry_);
  }
  Registry registry_;
};

TEST_P(BadConfigGoldenTest, ReportsExpectedErrors) {
  const std::string name = GetParam();
  // Run from the golden folder so that file names in messages are stable.
  fs::path old = fs::current_path();
  fs::current_path(kDir);
  auto config = ReadExperimentConfig(name + ".yaml", registry_);
  fs::current_path(old);
  ASSERT_FALSE(config.ok()) << name << " was accepted";
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  std::vector<std::string> got = Lines(config.status().message());
  std::vector<std::string> expected = Lines(ReadAll(kDir / (name + ".expected")));
  ASSERT_FALSE(expected.empty()) << name << ".expected is missing or empty";
  for (const auto& line : expected) {
    EXPECT_NE(std::find(got.begin(), got.end(), line), got.end())
        << "expected line not reported:\n  " << line << "\ngot:\n" << config.status().message();
  }
  // Every reported error names its file, line and column.
  for (const auto& line : got) EXPECT_EQ(line.rfind(name + ".yaml:", 0) == 0 || line.find("data/") != std::string::npos, true) << line;
}

INSTANTIATE_TEST_SUITE_P(Golden, BadConfigGoldenTest, ::testing::ValuesIn(GoldenNames()),
                         [](const auto& info) { return info.param; });

TEST(BadConfigGoldenSetTest, HasAtLeastThirtyCases) { EXPECT_GE(GoldenNames().size(), 30u); }

}  // namespace
}  // namespace hone
