// HybridPlatform over two real local platforms: trials spread over the members, each
// member's events come back, kills reach the right member, and the member recorded in
// the trial directory is the one Reclaim and Attach reach after a resume.
#include <chrono>
#include <fstream>

#include <gtest/gtest.h>

#include "engine/hybrid_platform.h"
#include "platforms/local_platform.h"
#include "tests/platforms/local_platform_test_util.h"

namespace hone {
namespace {

using namespace std::chrono_literals;
using testing::FindExit;
using testing::PollUntil;
using testing::TempDir;

std::unique_ptr<HybridPlatform> TwoLocals() {
  std::vector<HybridPlatform::Member> members;
  for (const char* name : {"local", "local"}) {
    LocalPlatformOptions options;
    options.kill_grace = 1s;
    members.push_back({name, std::make_unique<LocalPlatform>(std::move(options))});
  }
  return std::make_unique<HybridPlatform>(std::move(members));
}

TrialLaunch Shell(int64_t seq, const TempDir& dir, const std::string& command) {
  TrialLaunch l;
  l.seq = seq;
  l.command = command;
  l.trial_dir = dir / ("trials/" + std::to_string(seq));
  return l;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text;
}

TEST(HybridPlatformTest, TrialsSpreadOverMembersAndKillsReachTheirMember) {
  TempDir dir;
  auto hybrid = TwoLocals();
  ASSERT_TRUE(hybrid->Start().ok());
  ASSERT_TRUE(hybrid->Launch(Shell(0, dir, "sleep 1000")).ok());
  ASSERT_TRUE(hybrid->Launch(Shell(1, dir, "echo done")).ok());
  // The second trial goes to the member running fewer.
  EXPECT_EQ(ReadAll(dir / "trials/0/hybrid_platform"), "0 local\n");
  EXPECT_EQ(ReadAll(dir / "trials/1/hybrid_platform"), "1 local\n");

  auto events = PollUntil(*hybrid, [](const auto& ev) { return FindExit(ev, 1) != nullptr; }, 5s);
  ASSERT_NE(FindExit(events, 1), nullptr);
  EXPECT_EQ(FindExit(events, 1)->exit_code, 0);
  EXPECT_EQ(hybrid->MemberOf(1), "");  // exited: no longer placed
  ASSERT_TRUE(hybrid->Kill(0).ok());
  events = PollUntil(*hybrid, [](const auto& ev) { return FindExit(ev, 0) != nullptr; }, 5s);
  ASSERT_NE(FindExit(events, 0), nullptr);
  EXPECT_NE(FindExit(events, 0)->signal, 0);
  EXPECT_TRUE(hybrid->Kill(1).ok());  // exited: a no-op in its member
  EXPECT_EQ(hybrid->Kill(7).code(), StatusCode::kNotFound);
  // Both members idle again: the first listed wins the tie.
  ASSERT_TRUE(hybrid->Launch(Shell(2, dir, "true")).ok());
  EXPECT_EQ(ReadAll(dir / "trials/2/hybrid_platform"), "0 local\n");
  EXPECT_TRUE(hybrid->Stop(1s).ok());
}

TEST(HybridPlatformTest, AttachGoesOnlyToTheRecordedMember) {
  TempDir dir;
  auto hybrid = TwoLocals();
  ASSERT_TRUE(hybrid->Start().ok());
  TrialLaunch unknown = Shell(5, dir, "true");
  // No record: nothing launched it, nothing to take back.
  auto attached = hybrid->Attach(unknown, 1234);
  ASSERT_TRUE(attached.ok());
  EXPECT_FALSE(*attached);
  // A record naming a member this list does not have is ignored too.
  std::filesystem::create_directories(unknown.trial_dir);
  std::ofstream(unknown.trial_dir + "/hybrid_platform") << "1 remote\n";
  attached = hybrid->Attach(unknown, 1234);
  ASSERT_TRUE(attached.ok());
  EXPECT_FALSE(*attached);
  EXPECT_TRUE(hybrid->Stop(1s).ok());
}

}  // namespace
}  // namespace hone
