// HybridPlatform: several platforms as one (a list under trainingService, NNI's hybrid
// mode). Trials go to whichever member has a free slot.
//
//   std::vector<HybridPlatform::Member> members;       // each already created, not started
//   members.push_back({"local", std::move(local)});
//   members.push_back({"remote", std::move(remote)});
//   HybridPlatform hybrid(std::move(members));
//   hybrid.Start();                                     // starts every member
//
// Beyond the Platform contract:
// - Start fails when any member fails, naming it ("remote: ..."); members started by
//   then are stopped again.
// - Capacity is the sum of the members'. Launch picks, among members with capacity, the
//   one running the fewest of this platform's trials (ties: the first listed) and writes
//   its position and name to <trial_dir>/hybrid_platform, which Reclaim and Attach read
//   after a resume to reach the same member (Reclaim asks every member when there is no
//   record).
// - Poll gathers every member's events; when none has any at once, each member waits
//   its share of the timeout.
// - Stop stops every member and reports the first error.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/platform.h"

namespace hone {

class HybridPlatform : public Platform {
 public:
  struct Member {
    std::string name;
    std::unique_ptr<Platform> platform;
  };
  explicit HybridPlatform(std::vector<Member> members);

  Status Start() override;
  int Capacity() const override;
  Status Launch(const TrialLaunch& launch) override;
  Status Kill(int64_t seq) override;
  Status Poll(std::chrono::milliseconds timeout, std::vector<PlatformEvent>* out) override;
  Status Stop(std::chrono::milliseconds grace) override;
  Status Reclaim(int64_t seq, const std::string& trial_dir, int64_t pid) override;
  StatusOr<bool> Attach(const TrialLaunch& launch, int64_t pid) override;

  // Which member runs trial `seq` (its name), or "" when none does.
  std::string MemberOf(int64_t seq) const;

 private:
  // The member recorded in trial_dir by Launch, when the file names one of ours.
  std::optional<size_t> RecordedMember(const std::string& trial_dir) const;
  Status PollMember(size_t i, std::chrono::milliseconds timeout, std::vector<PlatformEvent>* out);

  std::vector<Member> members_;
  std::vector<int> running_;            // per member: trials launched and not yet exited
  std::map<int64_t, size_t> member_of_;  // seq -> member, kept after the exit (Kill is then a no-op there)
  std::set<int64_t> live_;               // launched or attached, no kExited yet
};

}  // namespace hone
