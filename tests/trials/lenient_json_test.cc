#include "trials/lenient_json.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "core/utf8.h"

namespace hone {
namespace {

TEST(LenientJsonTest, ParsesStandardJson) {
  StatusOr<nlohmann::json> j = ParseLenientJson(
      R"( {"a": [1, -2, 3.5, 1e3, true, false, null], "b": {"c": "d\"\\\/\b\f\n\r\t"}} )");
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ((*j)["a"][0], 1);
  EXPECT_EQ((*j)["a"][1], -2);
  EXPECT_DOUBLE_EQ((*j)["a"][2].get<double>(), 3.5);
  EXPECT_DOUBLE_EQ((*j)["a"][3].get<double>(), 1000.0);
  EXPECT_EQ((*j)["a"][4], true);
  EXPECT_TRUE((*j)["a"][6].is_null());
  EXPECT_EQ((*j)["b"]["c"], "d\"\\/\b\f\n\r\t");
}

TEST(LenientJsonTest, AcceptsPythonNonFiniteTokens) {
  StatusOr<nlohmann::json> j = ParseLenientJson(R"([NaN, Infinity, -Infinity, {"x": NaN}])");
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_TRUE(std::isnan((*j)[0].get<double>()));
  EXPECT_EQ((*j)[1].get<double>(), INFINITY);
  EXPECT_EQ((*j)[2].get<double>(), -INFINITY);
  EXPECT_TRUE(std::isnan((*j)[3]["x"].get<double>()));
}

TEST(LenientJsonTest, NonFiniteTokensInsideStringsStayText) {
  StatusOr<nlohmann::json> j = ParseLenientJson(R"({"NaN": "Infinity"})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["NaN"], "Infinity");
}

TEST(LenientJsonTest, KeepsLargeIntegersExactAndOverflowsToInfinity) {
  StatusOr<nlohmann::json> j =
      ParseLenientJson("[9223372036854775807, -9223372036854775808, 18446744073709551615, "
                       "123456789012345678901234567890, 1e999, -1e999, 1e-999]");
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ((*j)[0].get<int64_t>(), INT64_MAX);
  EXPECT_EQ((*j)[1].get<int64_t>(), INT64_MIN);
  EXPECT_EQ((*j)[2].get<uint64_t>(), UINT64_MAX);
  EXPECT_NEAR((*j)[3].get<double>(), 1.2345678901234568e29, 1e15);
  EXPECT_EQ((*j)[4].get<double>(), INFINITY);
  EXPECT_EQ((*j)[5].get<double>(), -INFINITY);
  EXPECT_EQ((*j)[6].get<double>(), 0.0);
}

TEST(LenientJsonTest, DecodesUnicodeEscapesAndSurrogatePairs) {
  StatusOr<nlohmann::json> j = ParseLenientJson(R"(["\u00e9\u4e2d\ud83d\ude00", "\ud800x", "\udc00"])");
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ((*j)[0], "\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80");
  EXPECT_EQ((*j)[1], "\xEF\xBF\xBDx");  // lone high surrogate
  EXPECT_EQ((*j)[2], "\xEF\xBF\xBD");
}

TEST(LenientJsonTest, InvalidUtf8InStringsBecomesReplacementAndDumpsWithoutThrowing) {
  std::string text = "{\"k\xFF\": \"a\xC3(b\xED\xA0\x80\"}";
  StatusOr<nlohmann::json> j = ParseLenientJson(text);
  ASSERT_TRUE(j.ok()) << j.status().message();
  std::string dumped;
  EXPECT_NO_THROW(dumped = j->dump());
  EXPECT_TRUE(IsValidUtf8(dumped));
  EXPECT_EQ((*j)["k\xEF\xBF\xBD"], "a\xEF\xBF\xBD(b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(LenientJsonTest, ValidUtf8PassesThrough) {
  StatusOr<nlohmann::json> j = ParseLenientJson("\"h\xC3\xA9llo \xF0\x9F\x98\x80\"");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(*j, "h\xC3\xA9llo \xF0\x9F\x98\x80");
}

TEST(LenientJsonTest, DuplicateKeysKeepTheLast) {
  StatusOr<nlohmann::json> j = ParseLenientJson(R"({"a": 1, "a": 2})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["a"], 2);
}

struct BadCase {
  const char* text;
  const char* error_part;
};

TEST(LenientJsonTest, RejectsMalformedInputWithPosition) {
  const BadCase cases[] = {
      {"", "unexpected end of input"},
      {"{", "expected a string key"},
      {"{\"a\" 1}", "expected ':'"},
      {"{\"a\": 1,}", "expected a string key"},
      {"[1, 2", "unexpected end of input inside an array"},
      {"[1 2]", "expected ',' or ']'"},
      {"\"abc", "unterminated string"},
      {"\"a\\qb\"", "invalid escape"},
      {"\"\\u12G4\"", "invalid hex digit"},
      {"\"a\tb\"", "control character"},
      {"01", "leading zero"},
      {"1.", "expected a digit after '.'"},
      {"1e+", "expected a digit in the exponent"},
      {"-", "expected a digit"},
      {"nan", "expected 'null'"},
      {"Nan", "invalid literal"},
      {"-Inf", "invalid literal"},
      {"tru", "invalid literal"},
      {"{} x", "unexpected text after the JSON value at byte 3"},
      {"'a'", "unexpected character '''"},
      {"\x01", "unexpected character '\\x01'"},
  };
  for (const BadCase& c : cases) {
    StatusOr<nlohmann::json> j = ParseLenientJson(c.text);
    ASSERT_FALSE(j.ok()) << c.text;
    EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(j.status().message().find(c.error_part), std::string::npos)
        << c.text << " -> " << j.status().message();
    EXPECT_NE(j.status().message().find("byte"), std::string::npos) << j.status().message();
  }
}

TEST(LenientJsonTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep(1'000'000, '[');
  StatusOr<nlohmann::json> j = ParseLenientJson(deep);
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("nesting deeper than"), std::string::npos);

  std::string ok_depth = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseLenientJson(ok_depth).ok());
}

TEST(Utf8Test, ValidatesAndRepairs) {
  EXPECT_TRUE(IsValidUtf8("plain \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // truncated
  EXPECT_EQ(ToValidUtf8("a\xFF" "b\xE2\x82"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace hone
