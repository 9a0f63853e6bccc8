#include "webui/experiment_catalog.h"

#include <signal.h>

#include <cerrno>
#include <filesystem>

namespace hone::webui {
namespace {

constexpr size_t kMaxIdlePerDb = 16;
constexpr size_t kMaxCached = 128;

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

}  // namespace

QueryLease::QueryLease(ExperimentCatalog* owner, std::string key, std::unique_ptr<TrialQuery> query)
    : owner_(owner), key_(std::move(key)), query_(std::move(query)) {}

QueryLease::~QueryLease() {
  if (query_) {
    query_->EndSnapshot();
    owner_->Return(key_, std::move(query_));
  }
}

ExperimentCatalog::ExperimentCatalog(std::string home) : home_(std::move(home)) {}

StatusOr<std::vector<ExperimentEntry>> ExperimentCatalog::List() {
  std::lock_guard<std::mutex> lock(registry_mu_);
  if (!registry_) {
    auto registry = ExperimentRegistry::Open(home_);
    if (!registry.ok()) return registry.status();
    registry_ = std::move(*registry);
  }
  return registry_->List();
}

StatusOr<ExperimentEntry> ExperimentCatalog::Resolve(const std::string& id_or_prefix) {
  if (!ValidId(id_or_prefix))
    return InvalidArgument("an experiment id is 1 to 32 characters of [a-z0-9]");
  std::lock_guard<std::mutex> lock(registry_mu_);
  if (!registry_) {
    auto registry = ExperimentRegistry::Open(home_);
    if (!registry.ok()) return registry.status();
    registry_ = std::move(*registry);
  }
  return registry_->Get(id_or_prefix);
}

StatusOr<QueryLease> ExperimentCatalog::Query(const ExperimentEntry& entry) {
  const std::string path = (std::filesystem::path(entry.dir) / "hone.db").string();
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    auto it = idle_.find(path);
    if (it != idle_.end() && !it->second.empty()) {
      std::unique_ptr<TrialQuery> q = std::move(it->second.back());
      it->second.pop_back();
      return QueryLease(this, path, std::move(q));
    }
  }
  auto q = TrialQuery::Open(path);
  if (!q.ok()) return q.status().WithContext("experiment " + entry.id);
  return QueryLease(this, path, std::move(*q));
}

void ExperimentCatalog::Return(const std::string& key, std::unique_ptr<TrialQuery> query) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  auto& idle = idle_[key];
  if (idle.size() < kMaxIdlePerDb) idle.push_back(std::move(query));
}

bool ExperimentCatalog::IsRunning(const ExperimentEntry& entry) {
  if (entry.manager_pid <= 0) return false;
  return ::kill(static_cast<pid_t>(entry.manager_pid), 0) == 0 || errno == EPERM;
}

std::optional<nlohmann::json> ExperimentCatalog::Cached(const std::string& key, const std::string& cursor) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  auto it = cache_.find(key);
  if (it == cache_.end() || it->second.first != cursor) return std::nullopt;
  return it->second.second;
}

void ExperimentCatalog::Store(const std::string& key, const std::string& cursor, nlohmann::json value) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (cache_.size() >= kMaxCached && !cache_.count(key)) cache_.clear();
  cache_[key] = {cursor, std::move(value)};
}

}  // namespace hone::webui
