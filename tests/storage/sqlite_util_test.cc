#include "storage/sqlite_util.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace hone {
namespace {

using nlohmann::json;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(JsonColumnsTest, FiniteJsonIsPlainTextWithNoSideList) {
  json value = {{"lr", 0.1}, {"layers", json::array({1, 2})}, {"name", "x"}};
  JsonColumns columns = EncodeJson(value);
  EXPECT_EQ(columns.nonfinite, std::nullopt);
  EXPECT_EQ(json::parse(columns.text), value);
  auto back = DecodeJson(columns.text, columns.nonfinite, "test");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, value);
}

TEST(JsonColumnsTest, NonFiniteNumbersAreNullInTextAndRestoredOnDecode) {
  json value = {{"default", kNaN}, {"a/b~c", kInf}, {"curve", json::array({1.5, -kInf})}};
  JsonColumns columns = EncodeJson(value);
  json text = json::parse(columns.text);  // standard JSON any reader can parse
  EXPECT_TRUE(text["default"].is_null());
  EXPECT_TRUE(text["a/b~c"].is_null());
  EXPECT_EQ(text["curve"][0], 1.5);
  ASSERT_TRUE(columns.nonfinite.has_value());
  auto back = DecodeJson(columns.text, columns.nonfinite, "test");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(std::isnan((*back)["default"].get<double>()));
  EXPECT_EQ((*back)["a/b~c"].get<double>(), kInf);
  EXPECT_EQ((*back)["curve"][0].get<double>(), 1.5);
  EXPECT_EQ((*back)["curve"][1].get<double>(), -kInf);
}

TEST(JsonColumnsTest, ANonFiniteScalarAtTheRootRoundTrips) {
  JsonColumns columns = EncodeJson(json(-kInf));
  EXPECT_EQ(columns.text, "null");
  auto back = DecodeJson(columns.text, columns.nonfinite, "test");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->get<double>(), -kInf);
}

TEST(JsonColumnsTest, CorruptStoredTextIsAnIoErrorNotAnException) {
  auto bad = DecodeJson("{not json", std::nullopt, "trial 3 params");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kIo);
  EXPECT_NE(bad.status().message().find("trial 3 params"), std::string::npos);
  EXPECT_FALSE(DecodeJson("{}", std::string("[[\"/missing\",\"nan\"]]"), "t").ok());
  EXPECT_FALSE(DecodeJson("{}", std::string("{\"x\":1}"), "t").ok());
}

}  // namespace
}  // namespace hone
