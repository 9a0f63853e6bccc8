// ConfigNode against hostile documents: alias cycles and alias bombs are errors at
// file:line:col (never a crash, never gigabytes), a second document is an error, and a
// file that cannot be read is an error rather than an empty text.
#include "core/config_node.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace hone {
namespace {

// Ten levels of ten-fold aliases: 10^10 scalars once expanded, 370 bytes written.
std::string AliasBomb() {
  std::string text = "a: &a [x,x,x,x,x,x,x,x,x,x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    text += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) text += (i ? ",*" : "*") + prev;
    text += "]\n";
  }
  return text;
}

std::string ParseErrors(const std::string& text, bool expect_node) {
  Diagnostics diag;
  auto node = ConfigNode::Parse(text, "exp.yaml", diag);
  EXPECT_EQ(node.has_value(), expect_node) << diag.ToString();
  EXPECT_TRUE(diag.has_errors());
  return diag.ToString();
}

TEST(ConfigNodeLimitsTest, AliasInsideItsOwnAnchorIsACycleAtItsPosition) {
  EXPECT_EQ(ParseErrors("x: &a [*a]\n", false),
            "exp.yaml:1:4: error: x[0]: alias cycle: the node anchored here contains an alias to itself, "
            "so it would repeat forever\n");
}

TEST(ConfigNodeLimitsTest, CycleThroughMapsIsFoundToo) {
  std::string errors = ParseErrors("top:\n  loop: &m\n    inner: {again: *m}\n", false);
  EXPECT_NE(errors.find("exp.yaml:2:9: error: top.loop.inner.again: alias cycle"), std::string::npos) << errors;
}

TEST(ConfigNodeLimitsTest, SharedAliasesThatAreNoCycleStillExpand) {
  Diagnostics diag;
  auto node = ConfigNode::Parse("base: &b {lr: 0.1, layers: [1, 2]}\none: *b\ntwo: [*b, *b]\n", "exp.yaml", diag);
  ASSERT_TRUE(node.has_value()) << diag.ToString();
  EXPECT_FALSE(diag.has_errors()) << diag.ToString();
  nlohmann::json base = {{"lr", 0.1}, {"layers", {1, 2}}};
  EXPECT_EQ(node->ToJson(), (nlohmann::json{{"base", base}, {"one", base}, {"two", {base, base}}}));
}

TEST(ConfigNodeLimitsTest, AliasBombStopsAtTheNodeLimitQuickly) {
  std::string bomb = AliasBomb();
  ASSERT_EQ(bomb.size(), 370u);
  auto start = std::chrono::steady_clock::now();
  std::string errors = ParseErrors(bomb, false);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // 123,461 nodes up to f; f[7][8]... crosses 1,000,000 at an `x` of line 1.
  EXPECT_EQ(errors.rfind("exp.yaml:1:", 0), 0u) << errors;
  EXPECT_NE(errors.find("error: f[7][8]["), std::string::npos) << errors;
  EXPECT_NE(errors.find("the document holds more than 1000000 nodes once its aliases are repeated; hone reads "
                        "at most 1000000 nodes, 64 MiB of text and 256 levels per document"),
            std::string::npos)
      << errors;
  EXPECT_LT(seconds, 10.0);  // walks at most kMaxConfigNodes nodes, builds none
}

// The bomb in a child process whose address space may grow by 256 MiB only: the old
// reader allocated gigabytes here and died of bad_alloc.
TEST(ConfigNodeLimitsDeathTest, AliasBombNeedsLittleMemory) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto run = [] {
    long pages = 0;
    std::ifstream("/proc/self/statm") >> pages;
    rlim_t limit = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + (256u << 20);
    rlimit rl{limit, limit};
    setrlimit(RLIMIT_AS, &rl);
    Diagnostics diag;
    auto node = ConfigNode::Parse(AliasBomb(), "exp.yaml", diag);
    std::_Exit(!node && diag.has_errors() ? 0 : 1);
  };
  EXPECT_EXIT(run(), ::testing::ExitedWithCode(0), "");
}

TEST(ConfigNodeLimitsTest, LongAliasChainsStopAtTheDepthLimit) {
  std::string text = "a0: &a0 [1]\n";
  for (int i = 1; i <= 300; ++i)
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) + "]\n";
  std::string errors = ParseErrors(text, false);
  EXPECT_NE(errors.find("the document nests deeper than 256 levels (aliases included)"), std::string::npos) << errors;
}

TEST(ConfigNodeLimitsTest, AliasesPastTheTextLimitAreAnError) {
  // 1 MiB scalar repeated 100 times: 100 MiB of text in a 1 MiB document.
  std::string text = "s: &s " + std::string(1 << 20, 'x') + "\nl: [";
  for (int i = 0; i < 100; ++i) text += i ? ", *s" : "*s";
  text += "]\n";
  std::string errors = ParseErrors(text, false);
  EXPECT_NE(errors.find("error: l[62]: the document holds more than 64 MiB of text"), std::string::npos) << errors;
}

TEST(ConfigNodeLimitsTest, SecondDocumentIsAnErrorAtItsStart) {
  EXPECT_EQ(ParseErrors("a: 1\n---\nb: 2\n", true),
            "exp.yaml:2:1: error: a second YAML document starts here; a config file holds one document "
            "(remove the '---' and merge the keys, or put the second experiment in its own file)\n");
  std::string errors = ParseErrors("---\na: 1\n...\n--- [x]\n", true);
  EXPECT_EQ(errors.rfind("exp.yaml:4:1: error: a second YAML document", 0), 0u) << errors;
}

TEST(ConfigNodeLimitsTest, EmptyTrailingDocumentsAreHarmless) {
  for (const char* text : {"a: 1\n---\n", "---\na: 1\n...\n", "a: 1\n---\n---\n~\n"}) {
    Diagnostics diag;
    auto node = ConfigNode::Parse(text, "exp.yaml", diag);
    EXPECT_TRUE(node.has_value()) << text;
    EXPECT_FALSE(diag.has_errors()) << text << diag.ToString();
  }
}

TEST(ConfigNodeLimitsTest, SyntaxErrorInASecondDocumentIsReported) {
  std::string errors = ParseErrors("a: 1\n---\nb: [1, 2\n", false);
  EXPECT_NE(errors.find("error: syntax error"), std::string::npos) << errors;
}

TEST(ConfigNodeLimitsTest, ReadErrorIsAnErrorNotAnEmptyText) {
  auto mem = ReadConfigFile("/proc/self/mem");
  ASSERT_FALSE(mem.ok());
  EXPECT_EQ(mem.status().message(), "cannot read file '/proc/self/mem': Input/output error");
  auto dir = ReadConfigFile(std::filesystem::temp_directory_path().string());
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.status().message().find("Is a directory"), std::string::npos) << dir.status().message();
  Diagnostics diag;
  EXPECT_FALSE(ConfigNode::ParseFile("/proc/self/mem", diag, {"exp.yaml", 2, 18}).has_value());
  EXPECT_EQ(diag.ToString(), "exp.yaml:2:18: error: cannot read file '/proc/self/mem': Input/output error\n");
}

TEST(ConfigNodeLimitsTest, ReadsWholeFilesAndRejectsEndlessOnes) {
  std::string path = (std::filesystem::temp_directory_path() / "hone_read_config_file_test.yaml").string();
  std::string text(200000, 'y');
  std::ofstream(path, std::ios::binary) << text;
  auto read = ReadConfigFile(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(*read, text);
  auto endless = ReadConfigFile("/dev/zero");
  ASSERT_FALSE(endless.ok());
  EXPECT_EQ(endless.status().message(), "file '/dev/zero' is larger than 64 MiB; hone reads configs of at most 64 MiB");
}

TEST(ConfigNodeLimitsTest, IntegerTextCoversValuesPast64Bits) {
  Diagnostics diag;
  auto node = ConfigNode::Parse("big: 99999999999999999999\nneg: -5\nexp: 1e12\nq: \"7\"\nf: 1.0\n", "exp.yaml", diag);
  ASSERT_TRUE(node.has_value());
  EXPECT_TRUE(node->Find("big")->IsIntegerText());
  EXPECT_FALSE(node->Find("big")->AsInt().has_value());
  EXPECT_TRUE(node->Find("neg")->IsIntegerText());
  EXPECT_FALSE(node->Find("exp")->IsIntegerText());
  EXPECT_FALSE(node->Find("q")->IsIntegerText());
  EXPECT_FALSE(node->Find("f")->IsIntegerText());
  // JSON integers past 2^63 keep their digits.
  ConfigNode from_json = ConfigNode::FromJson(nlohmann::json(18446744073709551615ULL));
  EXPECT_EQ(from_json.scalar(), "18446744073709551615");
}

// Found by fuzzing: yaml-cpp handed back the same empty document forever.
TEST(ConfigNodeLimitsTest, StrayTopLevelCommaEndsInsteadOfHanging) {
  for (const char* text : {",", "- 1\n,"}) {
    Diagnostics diag;
    auto start = std::chrono::steady_clock::now();
    (void)ConfigNode::Parse(text, "exp.yaml", diag);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5)) << text;
  }
}

// Found by fuzzing: a choice option or a parameter name that is not UTF-8 was accepted
// and later aborted the JSON encoding of the config.
TEST(ConfigNodeLimitsTest, TextThatIsNotUtf8IsAnErrorAtItsByte) {
  EXPECT_EQ(ParseErrors("searchSpace:\n  kernel: {_type: choice, _value: [\xC8, 7]}\n", false),
            "exp.yaml:2:36: error: the file must be UTF-8 text, but byte 0xC8 here is not part of a UTF-8 character\n");
  EXPECT_EQ(ParseErrors("x: \xC3\xA9\n\"\xbd\xbd\": 1\n", false),
            "exp.yaml:2:2: error: the file must be UTF-8 text, but byte 0xBD here is not part of a UTF-8 character\n");
  EXPECT_EQ(ParseErrors(std::string("{\nshape  \"\x0b\0_size\": 1}\n", 20), false),
            "exp.yaml:2:9: error: control character 0x0B is not allowed in YAML text\n");
}

}  // namespace
}  // namespace hone
