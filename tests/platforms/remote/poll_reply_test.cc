// ParsePollReply: what PollScript prints, read back; a cut-off reply is an error.
#include "platforms/remote/poll_reply.h"

#include <gtest/gtest.h>

namespace hone {
namespace {

TEST(PollReplyTest, ReadsLogBytesExitStatusAndWhetherOutputWaits) {
  auto records = ParsePollReply("@T 3 - 3 0 0\na\nb@T 4 137 0 4 1\nerr\n@T 5 0 0 0\n");
  ASSERT_TRUE(records.ok()) << records.status().message();
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].seq, 3);
  EXPECT_FALSE((*records)[0].exit_status.has_value());
  EXPECT_EQ((*records)[0].stdout_bytes, "a\nb");
  EXPECT_FALSE((*records)[0].has_output);
  EXPECT_EQ((*records)[1].exit_status, std::optional<int>(137));
  EXPECT_EQ((*records)[1].stderr_bytes, "err\n");
  EXPECT_TRUE((*records)[1].has_output);
  EXPECT_EQ((*records)[2].exit_status, std::optional<int>(0));
  EXPECT_FALSE((*records)[2].has_output) << "a reply without the output field reads as none";
}

TEST(PollReplyTest, ACutOffReplyIsAnError) {
  EXPECT_FALSE(ParsePollReply("@T 3 - 10 0 0\nshort").ok());
  EXPECT_FALSE(ParsePollReply("garbage\n").ok());
}

}  // namespace
}  // namespace hone
