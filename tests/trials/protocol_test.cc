#include "trials/protocol.h"

#include <chrono>
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "core/utf8.h"

namespace hone {
namespace {

using Kind = Report::Kind;

TEST(ProtocolTest, PlainLinesAreLog) {
  for (const char* line : {"", "epoch 3 loss 0.2", "@hone", "@honest work", " @hone {}",
                           "@hone{\"type\":\"final\",\"value\":1}", "NNISDK", "{\"type\":\"final\"}"}) {
    Report r = ParseReportLine(line);
    EXPECT_EQ(r.kind, Kind::kNone) << line;
  }
}

TEST(ProtocolTest, IntermediateWithStep) {
  Report r = ParseReportLine(R"(@hone {"type":"intermediate","step":3,"value":0.81})");
  ASSERT_EQ(r.kind, Kind::kIntermediate) << r.error;
  ASSERT_TRUE(r.step.has_value());
  EXPECT_EQ(*r.step, 3);
  EXPECT_DOUBLE_EQ(r.value, 0.81);
  EXPECT_EQ(r.metrics, nlohmann::json::parse(R"({"default":0.81})"));
}

TEST(ProtocolTest, IntermediateWithoutStepLeavesNumberingToTheCaller) {
  Report r = ParseReportLine(R"(@hone {"type":"intermediate","value":2})");
  ASSERT_EQ(r.kind, Kind::kIntermediate) << r.error;
  EXPECT_FALSE(r.step.has_value());
  EXPECT_DOUBLE_EQ(r.value, 2.0);
  r = ParseReportLine(R"(@hone {"type":"intermediate","step":null,"value":2})");
  EXPECT_FALSE(r.step.has_value());
}

TEST(ProtocolTest, IntegralFloatStepIsAccepted) {
  Report r = ParseReportLine(R"(@hone {"type":"intermediate","step":4.0,"value":1})");
  ASSERT_EQ(r.kind, Kind::kIntermediate) << r.error;
  EXPECT_EQ(*r.step, 4);
}

TEST(ProtocolTest, FinalWithObjectValueKeepsAllMetrics) {
  Report r = ParseReportLine(R"(@hone {"type":"final","value":{"default":0.93,"loss":0.21}})");
  ASSERT_EQ(r.kind, Kind::kFinal) << r.error;
  EXPECT_DOUBLE_EQ(r.value, 0.93);
  EXPECT_DOUBLE_EQ(r.metrics["loss"].get<double>(), 0.21);
  EXPECT_DOUBLE_EQ(r.metrics["default"].get<double>(), 0.93);
}

TEST(ProtocolTest, TrailingCarriageReturnAndSpacesAreIgnored) {
  Report r = ParseReportLine("@hone   {\"type\":\"final\",\"value\":1}  \r");
  ASSERT_EQ(r.kind, Kind::kFinal) << r.error;
  EXPECT_DOUBLE_EQ(r.value, 1.0);
}

TEST(ProtocolTest, AcceptsNanAndInfinityAsPythonWritesThem) {
  Report r = ParseReportLine(R"(@hone {"type": "final", "value": NaN})");
  ASSERT_EQ(r.kind, Kind::kFinal) << r.error;
  EXPECT_TRUE(std::isnan(r.value));
  r = ParseReportLine(R"(@hone {"type": "intermediate", "step": 1, "value": {"default": -Infinity, "x": Infinity}})");
  ASSERT_EQ(r.kind, Kind::kIntermediate) << r.error;
  EXPECT_EQ(r.value, -INFINITY);
  EXPECT_EQ(r.metrics["x"].get<double>(), INFINITY);
}

struct MalformedCase {
  const char* line;
  const char* error_part;
};

TEST(ProtocolTest, MalformedReportsSayWhatIsWrong) {
  const MalformedCase cases[] = {
      {"@hone {\"type\":\"final\",\"value\":", "not valid JSON"},
      {"@hone not json", "not valid JSON"},
      {"@hone ", "not valid JSON"},
      {"@hone [1,2]", "must be a JSON object, but got an array"},
      {"@hone {\"value\":1}", "no \"type\""},
      {"@hone {\"type\":3,\"value\":1}", "\"type\" must be \"intermediate\" or \"final\", but got a number"},
      {"@hone {\"type\":\"periodic\",\"value\":1}", "but got \"periodic\""},
      {"@hone {\"type\":\"final\"}", "no \"value\""},
      {"@hone {\"type\":\"final\",\"value\":\"0.9\"}", "but got a string"},
      {"@hone {\"type\":\"final\",\"value\":true}", "but got a boolean"},
      {"@hone {\"type\":\"final\",\"value\":null}", "but got null"},
      {"@hone {\"type\":\"final\",\"value\":{\"loss\":1}}", "without a \"default\""},
      {"@hone {\"type\":\"final\",\"value\":{\"default\":\"x\"}}", "\"value.default\" must be a number, but got a string"},
      {"@hone {\"type\":\"intermediate\",\"step\":\"3\",\"value\":1}", "\"step\" must be an integer, but got a string"},
      {"@hone {\"type\":\"intermediate\",\"step\":1.5,\"value\":1}", "\"step\" must be an integer, but got 1.5"},
      {"@hone {\"type\":\"intermediate\",\"step\":NaN,\"value\":1}", "\"step\" must be an integer"},
  };
  for (const MalformedCase& c : cases) {
    Report r;
    ASSERT_NO_THROW(r = ParseReportLine(c.line)) << c.line;
    EXPECT_EQ(r.kind, Kind::kMalformed) << c.line;
    EXPECT_NE(r.error.find(c.error_part), std::string::npos) << c.line << " -> " << r.error;
  }
}

TEST(ProtocolTest, InvalidUtf8NeverThrowsAndMetricsStayDumpable) {
  std::string line = "@hone {\"type\":\"final\",\"value\":{\"default\":1,\"note\":\"bad \xFF\xFE bytes\"}}";
  Report r;
  ASSERT_NO_THROW(r = ParseReportLine(line));
  ASSERT_EQ(r.kind, Kind::kFinal) << r.error;
  std::string dumped;
  ASSERT_NO_THROW(dumped = r.metrics.dump());
  EXPECT_TRUE(IsValidUtf8(dumped));

  // Raw invalid bytes outside strings: malformed, and the error itself is valid UTF-8.
  r = ParseReportLine("@hone {\"type\":\"final\",\"value\":\xFF}");
  EXPECT_EQ(r.kind, Kind::kMalformed);
  EXPECT_TRUE(IsValidUtf8(r.error)) << r.error;
}

TEST(ProtocolTest, TenMegabyteLinesParseInLinearTime) {
  std::string blob(10 << 20, 'x');
  auto start = std::chrono::steady_clock::now();

  Report r = ParseReportLine(R"(@hone {"type":"final","value":{"default":0.5,"blob":")" + blob + "\"}}");
  ASSERT_EQ(r.kind, Kind::kFinal) << r.error;
  EXPECT_EQ(r.metrics["blob"].get_ref<const std::string&>().size(), blob.size());

  r = ParseReportLine("@hone " + blob);
  EXPECT_EQ(r.kind, Kind::kMalformed);

  r = ParseReportLine(blob);
  EXPECT_EQ(r.kind, Kind::kNone);

  std::string big_array = "@hone {\"type\":\"final\",\"value\":{\"default\":1,\"a\":[";
  for (int i = 0; i < 1'000'000; ++i) big_array += "1.5,";
  big_array += "2]}}";
  r = ParseReportLine(big_array);
  ASSERT_EQ(r.kind, Kind::kFinal) << r.error;
  EXPECT_EQ(r.metrics["a"].size(), 1'000'001u);

  r = ParseReportLine("@hone " + std::string(10 << 20, '['));
  EXPECT_EQ(r.kind, Kind::kMalformed);
  EXPECT_NE(r.error.find("nesting"), std::string::npos);

  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(10));
}

// What nni's legacy SDK prints: `'NNISDK_ME%s' % json.encode()`, i.e. a bytes repr, with
// the metric itself JSON-encoded into "value".
TEST(ProtocolTest, NniLegacyFinalScalar) {
  Report r = ParseReportLine(
      R"(NNISDK_MEb'{"parameter_id": 0, "trial_job_id": "Ab3x", "type": "FINAL", "sequence": 0, "value": "0.93"}')");
  ASSERT_EQ(r.kind, Kind::kFinal) << r.error;
  EXPECT_DOUBLE_EQ(r.value, 0.93);
  EXPECT_EQ(r.metrics, nlohmann::json::parse(R"({"default":0.93})"));
}

TEST(ProtocolTest, NniLegacyPeriodicalDictUndoesBytesReprEscapes) {
  // Python: repr(b'{"value": "{\\"default\\": 0.5}"}') doubles the backslashes.
  Report r = ParseReportLine(
      R"(NNISDK_MEb'{"parameter_id": 1, "trial_job_id": "x", "type": "PERIODICAL", "sequence": 4, "value": "{\\"default\\": 0.5, \\"loss\\": NaN}"}')");
  ASSERT_EQ(r.kind, Kind::kIntermediate) << r.error;
  EXPECT_FALSE(r.step.has_value());
  EXPECT_DOUBLE_EQ(r.value, 0.5);
  EXPECT_TRUE(std::isnan(r.metrics["loss"].get<double>()));
}

TEST(ProtocolTest, NniLegacyRawJsonFromOtherSdks) {
  // The C# SDK prints the JSON unescaped.
  Report r = ParseReportLine(
      R"(NNISDK_MEb'{"parameter_id":0,"trial_job_id":"local","type":"FINAL","sequence":0,"value":"{\"default\":0.7}"}')");
  ASSERT_EQ(r.kind, Kind::kFinal) << r.error;
  EXPECT_DOUBLE_EQ(r.value, 0.7);
}

TEST(ProtocolTest, NniLegacyNonAsciiEscapes) {
  // Non-ASCII bytes in a bytes repr come out as \xNN.
  Report r = ParseReportLine(
      R"(NNISDK_MEb'{"type": "FINAL", "sequence": 0, "value": "{\\"default\\": 1, \\"name\\": \\"caf\xc3\xa9\\"}"}')");
  ASSERT_EQ(r.kind, Kind::kFinal) << r.error;
  EXPECT_EQ(r.metrics["name"], "caf\xC3\xA9");
}

TEST(ProtocolTest, NniLegacyMalformed) {
  const MalformedCase cases[] = {
      {"NNISDK_MEb'{\"type\": \"FINAL\"'", "not valid JSON"},
      {"NNISDK_ME{\"type\": \"FINAL\"}", "must look like NNISDK_MEb'<json>'"},
      {"NNISDK_MEb'{\"type\": \"FINAL\", \"value\": \"abc\"}'", "not a JSON-encoded metric"},
      {"NNISDK_MEb'{\"type\": \"FINAL\"}'", "no \"value\""},
      {"NNISDK_MEb'{\"type\": \"REQUEST_PARAMETER\", \"value\": \"\"}'", "not supported"},
      {"NNISDK_MEb'{\"type\": \"OTHER\", \"value\": \"1\"}'", "but got \"OTHER\""},
      {"NNISDK_MEb'{\"type\": \"FINAL\", \"value\": \"{}\"}'", "without a \"default\""},
  };
  for (const MalformedCase& c : cases) {
    Report r = ParseReportLine(c.line);
    EXPECT_EQ(r.kind, Kind::kMalformed) << c.line;
    EXPECT_NE(r.error.find(c.error_part), std::string::npos) << c.line << " -> " << r.error;
  }
}

}  // namespace
}  // namespace hone
