#include "trials/tail_buffer.h"

#include <string>

#include <gtest/gtest.h>

#include "core/utf8.h"

namespace hone {
namespace {

TEST(TailBufferTest, KeepsTheLastLines) {
  TailBuffer t(4096, 3);
  for (int i = 1; i <= 10; ++i) t.Append("line " + std::to_string(i) + "\n");
  EXPECT_EQ(t.Tail(), "line 8\nline 9\nline 10");
}

TEST(TailBufferTest, FewerLinesThanTheLimit) {
  TailBuffer t(4096, 20);
  t.Append("only\npartial");
  EXPECT_EQ(t.Tail(), "only\npartial");
  EXPECT_EQ(TailBuffer(10, 3).Tail(), "");
}

TEST(TailBufferTest, KeepsTheLastBytesOfAHugeStream) {
  TailBuffer t(100, 20);
  for (int i = 0; i < 10000; ++i) t.Append(std::string(37, 'a' + i % 26));
  t.Append("\nTraceback: ValueError\n");
  std::string tail = t.Tail();
  EXPECT_LE(tail.size(), 100u);
  EXPECT_EQ(tail.substr(tail.size() - 21), "Traceback: ValueError");
}

TEST(TailBufferTest, OutputIsValidUtf8EvenWhenCutInsideACharacter) {
  TailBuffer t(5, 20);
  t.Append("\xE2\x82\xAC\xE2\x82\xAC");  // cut keeps "\x82\xAC" + one euro sign
  EXPECT_EQ(t.Tail(), "\xE2\x82\xAC");
  TailBuffer bad(100, 20);
  bad.Append("err \xFF\n");
  EXPECT_TRUE(IsValidUtf8(bad.Tail()));
}

}  // namespace
}  // namespace hone
