// failFast: on by default (3), true = 1, false = 0, an integer as given; anything else is an
// error at its position; the stored config keeps it for resume.
#include <gtest/gtest.h>

#include "core/config_reader.h"
#include "tests/core/config_test_util.h"

namespace hone {
namespace {

const char kBase[] =
    "searchSpace:\n  lr: {_type: uniform, _value: [0, 1]}\ntrialCommand: python3 trial.py\n"
    "trialConcurrency: 1\n";

class ConfigFailFastTest : public testing::ConfigReaderTest {
 protected:
  StatusOr<ExperimentConfig> ReadWith(const std::string& extra) { return Read(std::string(kBase) + extra); }
};

TEST_F(ConfigFailFastTest, ValuesAndDefault) {
  const std::pair<const char*, int> cases[] = {
      {"", 3}, {"failFast: true\n", 1}, {"failFast: false\n", 0}, {"failFast: 0\n", 0}, {"failFast: 7\n", 7}};
  for (const auto& [extra, want] : cases) {
    auto cfg = ReadWith(extra);
    ASSERT_TRUE(cfg.ok()) << extra << cfg.status().message();
    EXPECT_EQ(cfg->fail_fast, want) << extra;
    auto stored = ExperimentConfig::FromJson(cfg->ToJson(), registry_);
    ASSERT_TRUE(stored.ok()) << stored.status().message();
    EXPECT_EQ(stored->fail_fast, want) << extra;
  }
}

TEST_F(ConfigFailFastTest, BadValuesAreErrorsAtTheirPosition) {
  for (const char* extra : {"failFast: -1\n", "failFast: often\n", "failFast: [1]\n"}) {
    auto cfg = ReadWith(extra);
    ASSERT_FALSE(cfg.ok()) << extra;
    EXPECT_NE(cfg.status().message().find("exp.yaml:5:11: error: failFast"), std::string::npos)
        << cfg.status().message();
  }
}

}  // namespace
}  // namespace hone
