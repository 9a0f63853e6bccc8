// SshHost and its long-lived session against the test sshd: exact stdout, stderr and
// exit codes, scripts that exit or fail, and the fallback when the session is gone.
#include "platforms/remote/ssh_host.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/platforms/local_platform_test_util.h"
#include "tests/platforms/remote/remote_test_util.h"

namespace hone {
namespace {

using namespace std::chrono_literals;

TEST(ShellQuoteTest, QuotesEverythingAsOneWord) {
  EXPECT_EQ(ShellQuote("plain"), "'plain'");
  EXPECT_EQ(ShellQuote("it's $HOME `x`"), "'it'\\''s $HOME `x`'");
}

class SshHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    sshd_ = &testing::SharedSshd(&why);
    ASSERT_EQ(why, "") << "the test sshd is needed";
    RemotePlatformOptions o = testing::TestRemoteOptions(*sshd_, dir_ / "host");
    host_ = std::make_unique<SshHost>(o.machines[0], dir_.path(), o.ssh_options);
    ASSERT_TRUE(host_->Open(20s).ok());
  }
  testing::SshdFixture* sshd_ = nullptr;
  testing::TempDir dir_;
  std::unique_ptr<SshHost> host_;
};

TEST_F(SshHostTest, RunReturnsExactOutputAndExitCodes) {
  for (int round = 0; round < 3; ++round) {  // the same session, command after command
    auto out = host_->Run("printf 'a\\nb'; echo oops >&2; exit 7", 10s);
    ASSERT_TRUE(out.ok()) << out.status().message();
    EXPECT_EQ(out->stdout_text, "a\nb");
    EXPECT_EQ(out->stderr_text, "oops\n");
    EXPECT_EQ(out->status.exit_code, 7);
  }
  auto after = host_->Run("set -e; false; echo not reached", 10s);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->stdout_text, "");
  EXPECT_EQ(after->status.exit_code, 1);
  auto still = host_->Run("echo still here", 10s);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->stdout_text, "still here\n");
  EXPECT_TRUE(host_->session_open()) << "every command went through the one session";
}

TEST_F(SshHostTest, ScriptsCannotReadTheSessionsInput) {
  auto out = host_->Run("cat; echo done", 10s);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->stdout_text, "done\n");
}

TEST_F(SshHostTest, LargeOutputArrivesWhole) {
  auto out = host_->Run("head -c 3000000 /dev/zero | tr '\\0' x", 20s);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->stdout_text, std::string(3000000, 'x'));
}

int Sockets(const std::string& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.is_socket();
  return n;
}

TEST_F(SshHostTest, WithoutMultiplexingNoMasterConnectionIsMade) {
  EXPECT_EQ(Sockets(dir_.path()), 1) << "the multiplexed host's ControlMaster socket";
  testing::TempDir other;
  RemotePlatformOptions o = testing::TestRemoteOptions(*sshd_, dir_ / "host");
  SshHost plain(o.machines[0], other.path(), o.ssh_options, /*multiplex=*/false);
  ASSERT_TRUE(plain.Open(20s).ok());
  auto out = plain.Run("echo plain", 10s);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->stdout_text, "plain\n");
  EXPECT_EQ(Sockets(other.path()), 0);
  plain.Close();
}

TEST_F(SshHostTest, RunWithOutputPipesTheRemoteStdoutIntoALocalCommand) {
  std::string file = dir_ / "copied";
  auto out = host_->RunWithOutput("printf 'from host'", "cat >" + ShellQuote(file), 10s);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->status.exit_code, 0);
  EXPECT_EQ(testing::ReadFile(file), "from host");
  auto failed = host_->RunWithOutput("echo no >&2; exit 5", "cat >/dev/null", 10s);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status.exit_code, 5) << "the remote failure is not hidden by the pipe";
  EXPECT_EQ(failed->stderr_text, "no\n");
}

}  // namespace
}  // namespace hone
