// ConfigNode: YAML and JSON documents with 1-based line:col marks, duplicate keys as
// errors, scalar typing, ToJson and Describe.
#include "core/config_node.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace hone {
namespace {

using nlohmann::json;

ConfigNode ParseOk(const std::string& text) {
  Diagnostics diag;
  auto node = ConfigNode::Parse(text, "exp.yaml", diag);
  EXPECT_TRUE(node.has_value()) << diag.ToString();
  EXPECT_FALSE(diag.has_errors()) << diag.ToString();
  return node ? *node : ConfigNode::Null({});
}

TEST(ConfigNodeTest, MarksAreOneBasedLineAndColumn) {
  ConfigNode root = ParseOk("name: demo\ntuner:\n  name: tpe\n  classArgs:\n    optimize_mode: maximize\n");
  ASSERT_TRUE(root.IsMap());
  const ConfigNode* tuner = root.Find("tuner");
  ASSERT_NE(tuner, nullptr);
  const ConfigNode* mode = tuner->Find("classArgs")->Find("optimize_mode");
  ASSERT_NE(mode, nullptr);
  EXPECT_EQ(mode->mark().file, "exp.yaml");
  EXPECT_EQ(mode->mark().line, 5);
  EXPECT_EQ(mode->mark().column, 20);
  EXPECT_EQ(root.Find("name")->mark().line, 1);
  EXPECT_EQ(root.Find("name")->mark().column, 7);
  SourceMark key = tuner->KeyMark("classArgs");
  EXPECT_EQ(key.line, 4);
  EXPECT_EQ(key.column, 3);
}

TEST(ConfigNodeTest, JsonDocumentsParseWithMarks) {
  ConfigNode root = ParseOk("{\"a\": [1, 2.5, \"x\"],\n \"b\": {\"c\": true}}");
  ASSERT_TRUE(root.IsMap());
  const ConfigNode* a = root.Find("a");
  ASSERT_TRUE(a && a->IsSequence());
  ASSERT_EQ(a->items().size(), 3u);
  EXPECT_EQ(a->items()[2].mark().line, 1);
  EXPECT_EQ(a->items()[2].mark().column, 16);
  EXPECT_EQ(root.Find("b")->Find("c")->mark().line, 2);
  EXPECT_EQ(root.ToJson(), (json{{"a", {1, 2.5, "x"}}, {"b", {{"c", true}}}}));
}

TEST(ConfigNodeTest, DuplicateKeysAreErrorsAtTheSecondKey) {
  Diagnostics diag;
  auto node = ConfigNode::Parse("a: 1\nb:\n  c: 2\n  c: 3\na: 4\n", "exp.yaml", diag);
  ASSERT_TRUE(node.has_value());
  ASSERT_EQ(diag.all().size(), 2u) << diag.ToString();
  EXPECT_EQ(diag.ToString(),
            "exp.yaml:4:3: error: b.c: duplicate key (each key may appear once per map)\n"
            "exp.yaml:5:1: error: a: duplicate key (each key may appear once per map)\n");
  EXPECT_EQ(node->Find("a")->ToJson(), 1);  // the first one stays
  EXPECT_EQ(node->Find("b")->Find("c")->ToJson(), 2);
}

TEST(ConfigNodeTest, DuplicateKeysInJsonAreErrorsToo) {
  Diagnostics diag;
  auto node = ConfigNode::Parse("{\"x\": 1, \"x\": 2}", "space.json", diag);
  ASSERT_TRUE(node.has_value());
  EXPECT_TRUE(diag.has_errors());
  EXPECT_NE(diag.ToString().find("space.json:1:10: error: x: duplicate key"), std::string::npos) << diag.ToString();
}

TEST(ConfigNodeTest, SyntaxErrorHasPositionAndNoNode) {
  Diagnostics diag;
  auto node = ConfigNode::Parse("a: [1, 2\nb: 3\n", "exp.yaml", diag);
  EXPECT_FALSE(node.has_value());
  ASSERT_TRUE(diag.has_errors());
  const Diagnostic& d = diag.all()[0];
  EXPECT_EQ(d.mark.file, "exp.yaml");
  EXPECT_GE(d.mark.line, 1);
  EXPECT_NE(d.message.find("syntax error"), std::string::npos) << d.message;
}

TEST(ConfigNodeTest, ScalarsAreTypedOnlyWhenPlain) {
  ConfigNode root = ParseOk(
      "i: 42\nneg: -7\nf: 0.5\nexp: 1e-3\nt: true\nT: True\nquoted: \"42\"\nsingle: 'true'\n"
      "word: hello\nnull1: ~\nnull2: null\nempty:\nyes: yes\ninf: .inf\nhex: 0x10\n");
  json j = root.ToJson();
  EXPECT_EQ(j["i"], 42);
  EXPECT_TRUE(j["i"].is_number_integer());
  EXPECT_EQ(j["neg"], -7);
  EXPECT_EQ(j["f"], 0.5);
  EXPECT_EQ(j["exp"], 0.001);
  EXPECT_EQ(j["t"], true);
  EXPECT_EQ(j["T"], true);
  EXPECT_EQ(j["quoted"], "42");
  EXPECT_EQ(j["single"], "true");
  EXPECT_EQ(j["word"], "hello");
  EXPECT_TRUE(j["null1"].is_null());
  EXPECT_TRUE(j["null2"].is_null());
  EXPECT_TRUE(j["empty"].is_null());
  EXPECT_EQ(j["yes"], "yes");  // YAML 1.2: only true/false are booleans
  EXPECT_TRUE(std::isinf(j["inf"].get<double>()));
  EXPECT_EQ(j["hex"], "0x10");  // not a number in YAML's core schema as hone reads it
  EXPECT_FALSE(root.Find("quoted")->AsInt().has_value());
  EXPECT_EQ(root.Find("i")->AsDouble(), 42.0);
  EXPECT_FALSE(root.Find("f")->AsInt().has_value());
  EXPECT_FALSE(root.Find("word")->AsBool().has_value());
}

// YAML's escapes of double-quoted scalars give code points, kept as UTF-8 (in keys too):
// \N is U+0085 and \_ is U+00A0, which yaml-cpp hands over as single non-UTF-8 bytes.
// Found by fuzz_search_space.
TEST(ConfigNodeTest, EscapesOfQuotedScalarsAreUtf8) {
  ConfigNode root = ParseOk("a: \"x\\Ny\\_z\\L\\x41\\u00e9\"\n\"k\\N\": 1\nb: \"\u00e0\\_\"\n");
  json j = root.ToJson();
  EXPECT_EQ(j["a"], "x\u0085y\u00a0z\u2028A\u00e9");
  EXPECT_EQ(j["k\u0085"], 1);
  EXPECT_EQ(j["b"], "\u00e0\u00a0") << "a character whose UTF-8 holds byte 0xA0 stays as it is";
  EXPECT_NO_THROW(j.dump());
}

TEST(ConfigNodeTest, DescribeNamesKindAndValue) {
  ConfigNode root = ParseOk("i: 3\nf: 2.5\nb: false\ns: abc\nq: \"3\"\nl: [1]\nm: {a: 1}\nn: ~\n");
  EXPECT_EQ(root.Find("i")->Describe(), "the integer 3");
  EXPECT_EQ(root.Find("f")->Describe(), "the number 2.5");
  EXPECT_EQ(root.Find("b")->Describe(), "the boolean false");
  EXPECT_EQ(root.Find("s")->Describe(), "the string 'abc'");
  EXPECT_EQ(root.Find("q")->Describe(), "the string '3'");
  EXPECT_EQ(root.Find("l")->Describe(), "a list");
  EXPECT_EQ(root.Find("m")->Describe(), "a map");
  EXPECT_EQ(root.Find("n")->Describe(), "null");
}

TEST(ConfigNodeTest, EntriesKeepFileOrder) {
  ConfigNode root = ParseOk("zeta: 1\nalpha: 2\nmid: 3\n");
  ASSERT_EQ(root.entries().size(), 3u);
  EXPECT_EQ(root.entries()[0].first, "zeta");
  EXPECT_EQ(root.entries()[1].first, "alpha");
  EXPECT_EQ(root.entries()[2].first, "mid");
  EXPECT_EQ(root.Find("missing"), nullptr);
  EXPECT_EQ(root.KeyMark("missing").line, root.mark().line);  // falls back to the map's mark
}

TEST(ConfigNodeTest, FromJsonRoundTripsThroughToJson) {
  json j = {{"s", "text"}, {"n", "42"}, {"i", -3}, {"d", 0.1}, {"big", 1e300}, {"b", false},
            {"null", nullptr}, {"list", {1, "2", 3.25}}, {"map", {{"k", {{"deep", true}}}}}};
  ConfigNode node = ConfigNode::FromJson(j, "<json>");
  EXPECT_EQ(node.ToJson(), j);
  EXPECT_TRUE(node.Find("n")->quoted());  // JSON strings stay strings even when they look numeric
  EXPECT_EQ(node.mark().file, "<json>");
  EXPECT_EQ(node.mark().line, 0);  // no positions in JSON values
}

TEST(ConfigNodeTest, ParseFileReportsMissingFileAtTheReference) {
  Diagnostics diag;
  auto node = ConfigNode::ParseFile("/nonexistent/space.json", diag, {"exp.yaml", 3, 18});
  EXPECT_FALSE(node.has_value());
  EXPECT_NE(diag.ToString().find("exp.yaml:3:18: error: cannot read file '/nonexistent/space.json'"),
            std::string::npos)
      << diag.ToString();
}

TEST(ConfigNodeTest, ParseFileMarksCarryThePath) {
  std::string path = (std::filesystem::temp_directory_path() / "hone_config_node_test.yaml").string();
  std::ofstream(path) << "a:\n  b: 1\n";
  Diagnostics diag;
  auto node = ConfigNode::ParseFile(path, diag);
  std::filesystem::remove(path);
  ASSERT_TRUE(node.has_value()) << diag.ToString();
  EXPECT_EQ(node->Find("a")->Find("b")->mark().file, path);
  EXPECT_EQ(node->Find("a")->Find("b")->mark().line, 2);
}

TEST(DiagnosticsTest, FormatsCompilerStyleAndSortsErrorsFirstByPosition) {
  Diagnostics diag;
  diag.Note({"exp.yaml", 1, 1}, "trainingService.reuseMode", "ignored");
  diag.Error({"exp.yaml", 9, 3}, "tuner.name", "unknown tuner 'tpee'; did you mean 'tpe'?");
  diag.Error({"exp.yaml", 2, 5}, "trialConcurrency", "must be >= 1, but got 0");
  diag.Error({"", 0, 0}, "", "no file");
  EXPECT_TRUE(diag.has_errors());
  EXPECT_EQ(diag.ToString(),
            "<input>: error: no file\n"
            "exp.yaml:2:5: error: trialConcurrency: must be >= 1, but got 0\n"
            "exp.yaml:9:3: error: tuner.name: unknown tuner 'tpee'; did you mean 'tpe'?\n"
            "exp.yaml:1:1: note: trainingService.reuseMode: ignored\n");
  Status st = diag.ToStatus();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), diag.ToString().substr(0, diag.ToString().size() - 1));  // no trailing newline
}

TEST(DiagnosticsTest, NotesAloneAreNotErrors) {
  Diagnostics diag;
  diag.Note({"exp.yaml", 1, 1}, "", "just so you know");
  EXPECT_FALSE(diag.has_errors());
  EXPECT_TRUE(diag.ToStatus().ok());
}

TEST(DiagnosticsTest, DidYouMeanPicksTheClosestWithinReach) {
  EXPECT_EQ(DidYouMean("maximise", {"maximize", "minimize"}), "maximize");
  EXPECT_EQ(DidYouMean("TPE", {"tpe", "random"}), "tpe");  // case does not count
  EXPECT_EQ(DidYouMean("trialConcurency", {"trialConcurrency", "trialCommand"}), "trialConcurrency");
  EXPECT_EQ(DidYouMean("zzzzzz", {"tpe", "random"}), "");
}

}  // namespace
}  // namespace hone
