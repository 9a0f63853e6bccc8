// The CLI's numbers and lines for people: 6 significant digits, lines that fit the
// terminal, and the live block of `hone run` that never wraps.
#include "cli/human_format.h"

#include <gtest/gtest.h>

#include "cli/progress_view.h"

namespace hone {
namespace {

using nlohmann::json;

TEST(HumanFormatTest, NumbersHaveSixSignificantDigits) {
  EXPECT_EQ(FormatNumber(0.123456789012), "0.123457");
  EXPECT_EQ(FormatNumber(1234567.891), "1.23457e+06");
  EXPECT_EQ(FormatNumber(0.5), "0.5");
  EXPECT_EQ(FormatNumber(-3), "-3");
  EXPECT_EQ(FormatNumber(1e-9), "1e-09");
}

TEST(HumanFormatTest, ParamsShortenFloatsOnly) {
  json params = {{"lr", 0.00123456789},
                 {"layers", 3},
                 {"opt", {{"_name", "sgd"}, {"momentum", 0.987654321}}},
                 {"flag", true},
                 {"none", nullptr},
                 {"list", {1.11111111, "a\"b"}}};
  EXPECT_EQ(FormatParams(params),
            "{\"flag\":true,\"layers\":3,\"list\":[1.11111,\"a\\\"b\"],\"lr\":0.00123457,\"none\":null,"
            "\"opt\":{\"_name\":\"sgd\",\"momentum\":0.987654}}");
  EXPECT_EQ(FormatParams(json{{"x", std::nan("")}}), "{\"x\":NaN}");
  EXPECT_EQ(FormatParams(json{{"x", -INFINITY}}), "{\"x\":-Infinity}");
  // Whole-number floats keep their ".0": the trial gets 2.0, not 2.
  EXPECT_EQ(FormatParams(json{{"a", 2.0}, {"b", 2}, {"c", 1e20}, {"d", -3.0}}), "{\"a\":2.0,\"b\":2,\"c\":1e+20,\"d\":-3.0}");
}

TEST(HumanFormatTest, FitWidthNeverExceedsTheWidth) {
  const std::string line = "best: trial 12 = 0.912346 (maximize) {\"a_long_name\":0.123457,\"b\":\"\xe6\x97\xa5\xe6\x9c\xac\"}";
  for (int width = 0; width <= 100; ++width) {
    std::string fitted = FitWidth(line, width);
    EXPECT_LE(DisplayWidth(fitted), width) << width << ": " << fitted;
    if (width >= DisplayWidth(line)) EXPECT_EQ(fitted, line);
  }
  EXPECT_EQ(FitWidth("abcdefghij", 8), "abcde...");
  EXPECT_EQ(FitWidth("abcdefghij", 2), "ab");
}

TEST(HumanFormatTest, WideCharactersTakeTwoColumnsAndAreNeverSplit) {
  const std::string cjk = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";  // three wide characters
  EXPECT_EQ(DisplayWidth(cjk), 6);
  EXPECT_EQ(DisplayWidth("e\xcc\x81"), 1);  // e + combining acute
  std::string fitted = FitWidth(cjk + "abcdef", 8);
  EXPECT_EQ(fitted, "\xe6\x97\xa5\xe6\x9c\xac...");  // 4 + 3 columns: the third would not fit
}

TEST(HumanFormatTest, ControlCharactersBecomeSpacesSoALineStaysOneRow) {
  EXPECT_EQ(FitWidth("a\nb\tc\x1b[2J", 80), "a b c [2J");
  EXPECT_EQ(FitWidth("bad \xff byte", 80), "bad ? byte");
}

TEST(HumanFormatTest, PadRightMakesExactColumns) {
  EXPECT_EQ(PadRight("ab", 5), "ab   ");
  EXPECT_EQ(PadRight("abcdefgh", 6), "abc...");
  EXPECT_EQ(DisplayWidth(PadRight("\xe6\x97\xa5", 4)), 4);
}

TEST(HumanFormatTest, ColumnsComeFromTheTerminalThenColumnsThenEighty) {
  EXPECT_EQ(ColumnsFrom(132, "60"), 132);
  EXPECT_EQ(ColumnsFrom(0, "60"), 60);
  EXPECT_EQ(ColumnsFrom(0, "wide"), 80);
  EXPECT_EQ(ColumnsFrom(0, "-5"), 80);
  EXPECT_EQ(ColumnsFrom(0, ""), 80);
  EXPECT_EQ(ColumnsFrom(0, nullptr), 80);
}

ProgressSnapshot LongSnapshot() {
  ProgressSnapshot s;
  s.counts = {{TrialStatus::kRunning, 4}, {TrialStatus::kSucceeded, 120}, {TrialStatus::kFailed, 3},
              {TrialStatus::kEarlyStopped, 17}, {TrialStatus::kTimeout, 2}};
  s.configs_created = 146;
  s.max_trial_number = 1000;
  s.elapsed_s = 3725;
  s.max_duration_s = 86400;
  TrialRecord best;
  best.id = "117";
  best.final_value = 0.912345678901234;
  best.params = {{"learning_rate", 0.000123456789012345}, {"momentum", 0.9876543210987},
                 {"optimizer", "adam"}, {"hidden_units", 512}};
  s.best = best;
  return s;
}

TEST(ProgressViewTest, LiveBlockFitsEveryTerminalWidth) {
  const ProgressSnapshot s = LongSnapshot();
  for (int columns : {20, 40, 80, 120, 200}) {
    auto block = LiveBlock(s, columns);
    ASSERT_EQ(block.size(), 2u);
    for (const auto& line : block) EXPECT_LT(DisplayWidth(line), columns) << columns << ": " << line;
  }
}

TEST(ProgressViewTest, LiveBlockShowsSixSignificantDigits) {
  auto block = LiveBlock(LongSnapshot(), 200);
  EXPECT_NE(block[1].find("= 0.912346 (maximize)"), std::string::npos) << block[1];
  EXPECT_NE(block[1].find("\"learning_rate\":0.000123457"), std::string::npos) << block[1];
  EXPECT_EQ(block[1].find("0.9123456"), std::string::npos) << block[1];
  auto narrow = LiveBlock(LongSnapshot(), 80);
  EXPECT_EQ(narrow[1].rfind("best: trial 117 = 0.912346 (maximize) ", 0), 0u) << narrow[1];
}

TEST(ProgressViewTest, LiveBlockSaysWhyATrialWaits) {
  ProgressSnapshot s = LongSnapshot();
  EXPECT_EQ(LiveBlock(s, 200)[0].find("pending"), std::string::npos);
  s.waiting_reason = "trial 150 slurm job 42 pending: Resources";
  auto block = LiveBlock(s, 200);
  EXPECT_NE(block[0].find("| trial 150 slurm job 42 pending: Resources"), std::string::npos) << block[0];
}

}  // namespace
}  // namespace hone
