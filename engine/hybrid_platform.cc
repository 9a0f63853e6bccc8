#include "engine/hybrid_platform.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>

namespace hone {
namespace {
constexpr const char* kMemberFile = "/hybrid_platform";
}  // namespace

HybridPlatform::HybridPlatform(std::vector<Member> members)
    : members_(std::move(members)), running_(members_.size(), 0) {}

Status HybridPlatform::Start() {
  for (size_t i = 0; i < members_.size(); ++i) {
    Status st = members_[i].platform->Start();
    if (st.ok()) continue;
    for (size_t j = 0; j < i; ++j) (void)members_[j].platform->Stop(std::chrono::milliseconds(0));
    return st.WithContext(members_[i].name);
  }
  return Status::Ok();
}

int HybridPlatform::Capacity() const {
  int64_t total = 0;
  for (const auto& m : members_) total += std::max(0, m.platform->Capacity());
  return static_cast<int>(std::min<int64_t>(total, std::numeric_limits<int>::max()));
}

Status HybridPlatform::Launch(const TrialLaunch& launch) {
  std::optional<size_t> pick;
  for (size_t i = 0; i < members_.size(); ++i) {
    if (members_[i].platform->Capacity() <= 0) continue;
    if (!pick || running_[i] < running_[*pick]) pick = i;
  }
  if (!pick) return Status(StatusCode::kUnavailable, "no platform has a free slot");
  {
    std::error_code ec;
    std::filesystem::create_directories(launch.trial_dir, ec);
    std::ofstream out(launch.trial_dir + kMemberFile, std::ios::trunc);
    out << *pick << " " << members_[*pick].name << "\n";
    if (!out) return IoError("cannot write " + launch.trial_dir + kMemberFile);
  }
  HONE_RETURN_IF_ERROR(members_[*pick].platform->Launch(launch).WithContext(members_[*pick].name));
  member_of_[launch.seq] = *pick;
  live_.insert(launch.seq);
  running_[*pick]++;
  return Status::Ok();
}

Status HybridPlatform::Kill(int64_t seq) {
  auto it = member_of_.find(seq);
  if (it == member_of_.end()) return NotFound("no trial " + std::to_string(seq) + " on this platform");
  return members_[it->second].platform->Kill(seq);
}

Status HybridPlatform::PollMember(size_t i, std::chrono::milliseconds timeout, std::vector<PlatformEvent>* out) {
  size_t before = out->size();
  HONE_RETURN_IF_ERROR(members_[i].platform->Poll(timeout, out).WithContext(members_[i].name));
  for (size_t k = before; k < out->size(); ++k) {
    if ((*out)[k].kind != PlatformEvent::Kind::kExited) continue;
    auto it = member_of_.find((*out)[k].seq);
    if (it == member_of_.end() || !live_.erase(it->first)) continue;
    running_[it->second]--;
  }
  return Status::Ok();
}

Status HybridPlatform::Poll(std::chrono::milliseconds timeout, std::vector<PlatformEvent>* out) {
  size_t before = out->size();
  for (size_t i = 0; i < members_.size(); ++i) HONE_RETURN_IF_ERROR(PollMember(i, std::chrono::milliseconds(0), out));
  if (out->size() > before || timeout.count() <= 0 || members_.empty()) return Status::Ok();
  auto share = std::max(std::chrono::milliseconds(1), timeout / static_cast<int>(members_.size()));
  for (size_t i = 0; i < members_.size(); ++i) {
    HONE_RETURN_IF_ERROR(PollMember(i, share, out));
    if (out->size() > before) break;
  }
  return Status::Ok();
}

Status HybridPlatform::Stop(std::chrono::milliseconds grace) {
  Status first = Status::Ok();
  for (auto& m : members_) {
    Status st = m.platform->Stop(grace);
    if (!st.ok() && first.ok()) first = st.WithContext(m.name);
  }
  return first;
}

std::optional<size_t> HybridPlatform::RecordedMember(const std::string& trial_dir) const {
  std::ifstream in(trial_dir + kMemberFile);
  size_t index = 0;
  std::string name;
  if (!(in >> index >> name) || index >= members_.size() || members_[index].name != name) return std::nullopt;
  return index;
}

Status HybridPlatform::Reclaim(int64_t seq, const std::string& trial_dir, int64_t pid) {
  std::optional<size_t> i = RecordedMember(trial_dir);
  if (i) return members_[*i].platform->Reclaim(seq, trial_dir, pid);
  // No record (launched before this list, or the file is lost): every member may look,
  // since a platform's Reclaim never touches what is not that trial's.
  Status first = Status::Ok();
  for (auto& m : members_) {
    Status st = m.platform->Reclaim(seq, trial_dir, pid);
    if (!st.ok() && first.ok()) first = st.WithContext(m.name);
  }
  return first;
}

StatusOr<bool> HybridPlatform::Attach(const TrialLaunch& launch, int64_t pid) {
  std::optional<size_t> i = RecordedMember(launch.trial_dir);
  if (!i) return false;
  StatusOr<bool> attached = members_[*i].platform->Attach(launch, pid);
  if (!attached.ok() || !*attached) return attached;
  member_of_[launch.seq] = *i;
  live_.insert(launch.seq);
  running_[*i]++;
  return true;
}

std::string HybridPlatform::MemberOf(int64_t seq) const {
  auto it = member_of_.find(seq);
  return it == member_of_.end() || !live_.count(seq) ? "" : members_[it->second].name;
}

}  // namespace hone
