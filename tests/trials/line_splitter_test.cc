#include "trials/line_splitter.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace hone {
namespace {

using Lines = std::vector<std::pair<std::string, bool>>;

struct Collector {
  Lines lines;
  LineSplitter::Emit emit() {
    return [this](std::string_view line, bool truncated) { lines.emplace_back(std::string(line), truncated); };
  }
};

TEST(LineSplitterTest, SplitsAcrossChunks) {
  LineSplitter s(100);
  Collector c;
  s.Feed("ab\ncd", c.emit());
  s.Feed("ef\n\ng", c.emit());
  EXPECT_EQ(c.lines, (Lines{{"ab", false}, {"cdef", false}, {"", false}}));
  s.Finish(c.emit());
  EXPECT_EQ(c.lines.back(), (std::pair<std::string, bool>{"g", false}));
  s.Finish(c.emit());
  EXPECT_EQ(c.lines.size(), 4u);
}

TEST(LineSplitterTest, LineOfExactlyTheLimitIsNotTruncated) {
  LineSplitter s(4);
  Collector c;
  s.Feed("abcd", c.emit());
  s.Feed("\nefgh\n", c.emit());
  EXPECT_EQ(c.lines, (Lines{{"abcd", false}, {"efgh", false}}));
}

TEST(LineSplitterTest, LongLinesAreCutOnceAndTheRestDropped) {
  LineSplitter s(4);
  Collector c;
  s.Feed("ab\ncdefgh", c.emit());
  EXPECT_EQ(c.lines, (Lines{{"ab", false}, {"cdef", true}}));
  s.Feed("ij\nk", c.emit());
  s.Finish(c.emit());
  EXPECT_EQ(c.lines, (Lines{{"ab", false}, {"cdef", true}, {"k", false}}));
}

TEST(LineSplitterTest, LongLineEndingInTheSameChunk) {
  LineSplitter s(3);
  Collector c;
  s.Feed("abcdef\nxy\n", c.emit());
  EXPECT_EQ(c.lines, (Lines{{"abc", true}, {"xy", false}}));
}

TEST(LineSplitterTest, HugeLineByteByByteStaysBounded) {
  LineSplitter s(1 << 10);
  Collector c;
  for (int i = 0; i < 1 << 20; ++i) s.Feed("z", c.emit());
  s.Feed("\nok\n", c.emit());
  ASSERT_EQ(c.lines.size(), 2u);
  EXPECT_EQ(c.lines[0].first.size(), 1u << 10);
  EXPECT_TRUE(c.lines[0].second);
  EXPECT_EQ(c.lines[1], (std::pair<std::string, bool>{"ok", false}));
}

}  // namespace
}  // namespace hone
