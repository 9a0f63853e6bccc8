// ExperimentCatalog: the web server's view of HONE_HOME, shared by all request threads:
// the registry (behind a lock), a pool of read-only connections per experiment
// database, whether an experiment's manager runs, and a small cache of aggregated
// series keyed by the live-update cursor (recomputed only when trials changed).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "storage/experiment_registry.h"
#include "storage/trial_query.h"

namespace hone::webui {

class ExperimentCatalog;

// A pooled connection on loan; goes back to the pool when the lease ends.
class QueryLease {
 public:
  QueryLease(ExperimentCatalog* owner, std::string key, std::unique_ptr<TrialQuery> query);
  QueryLease(QueryLease&&) = default;
  QueryLease& operator=(QueryLease&&) = delete;
  ~QueryLease();
  TrialQuery* operator->() const { return query_.get(); }
  TrialQuery& operator*() const { return *query_; }

 private:
  ExperimentCatalog* owner_;
  std::string key_;
  std::unique_ptr<TrialQuery> query_;
};

class ExperimentCatalog {
 public:
  explicit ExperimentCatalog(std::string home);

  const std::string& home() const { return home_; }
  // Newest first.
  StatusOr<std::vector<ExperimentEntry>> List();
  // InvalidArgument for a malformed id ([a-z0-9]{1,32}) or an ambiguous prefix;
  // NotFound for an unknown one.
  StatusOr<ExperimentEntry> Resolve(const std::string& id_or_prefix);
  StatusOr<QueryLease> Query(const ExperimentEntry& entry);
  // Whether the experiment's manager process is alive (registry pid, checked with
  // kill(pid, 0); never by taking the manager's lock).
  static bool IsRunning(const ExperimentEntry& entry);

  // Series cache: the value stored under `key` when it was computed at `cursor`.
  std::optional<nlohmann::json> Cached(const std::string& key, const std::string& cursor);
  void Store(const std::string& key, const std::string& cursor, nlohmann::json value);

 private:
  friend class QueryLease;
  void Return(const std::string& key, std::unique_ptr<TrialQuery> query);

  std::string home_;
  std::mutex registry_mu_;
  std::unique_ptr<ExperimentRegistry> registry_;
  std::mutex pool_mu_;
  std::map<std::string, std::vector<std::unique_ptr<TrialQuery>>> idle_;  // by db path
  std::mutex cache_mu_;
  std::map<std::string, std::pair<std::string, nlohmann::json>> cache_;
};

}  // namespace hone::webui
