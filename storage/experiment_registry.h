// ExperimentRegistry: the experiments of one HONE_HOME (<HONE_HOME>/registry.db), for
// `hone experiment list`, finding a running manager's pid and UI port, and resolving
// the ids users type. Each experiment's own data lives in its hone.db, not here.
//
// Ids resolve like git revisions: Get("k3x") finds "k3x9ab2q" when no other id starts
// with "k3x"; an ambiguous prefix fails and lists the candidates.
//
// Example:
//   auto registry = ExperimentRegistry::Open(DefaultHoneHome());
//   ExperimentEntry e{.id = NewExperimentId(), .name = "mnist", .status = "running"};
//   e.dir = ExperimentDir((*registry)->home(), e.id);
//   (*registry)->Add(e);
//   (*registry)->SetStatus(e.id, "done", clock.Now());
//
// Every call is its own short transaction; any number of processes may use the file.
// Not thread-safe: one thread uses an ExperimentRegistry at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace hone {

class SqliteConnection;
class Statement;

struct ExperimentEntry {
  std::string id;
  std::string name;
  std::string dir;     // <HONE_HOME>/experiments/<id>
  std::string status;  // the experiment status words the manager stores in meta "status"
  int64_t manager_pid = 0;  // 0 when no manager runs
  int ui_port = 0;          // 0 when no web UI serves it
  double created = 0;       // unix seconds
  double updated = 0;
  std::string config_path;  // the experiment YAML it was created from
};

class ExperimentRegistry {
 public:
  // Opens <home_dir>/registry.db, creating the directory and the file when missing.
  static StatusOr<std::unique_ptr<ExperimentRegistry>> Open(const std::string& home_dir);

  ExperimentRegistry(const ExperimentRegistry&) = delete;
  ExperimentRegistry& operator=(const ExperimentRegistry&) = delete;
  ~ExperimentRegistry();

  // AlreadyExists when the id is taken; InvalidArgument for an empty id.
  Status Add(const ExperimentEntry& entry);

  // Each sets one field and `updated` = now. NotFound for an unknown (exact) id.
  Status SetStatus(const std::string& id, const std::string& status, double now);
  Status SetManagerPid(const std::string& id, int64_t pid, double now);
  Status SetUiPort(const std::string& id, int port, double now);

  // The experiment whose id is `id_or_prefix`, or the only one whose id starts with it.
  // NotFound when none matches; InvalidArgument when the prefix is empty or ambiguous
  // (the message lists the candidates).
  StatusOr<ExperimentEntry> Get(const std::string& id_or_prefix);
  // Newest first (by created, then id).
  StatusOr<std::vector<ExperimentEntry>> List();
  // Forgets the entry (its directory stays). NotFound for an unknown (exact) id.
  Status Remove(const std::string& id);

  const std::string& home() const { return home_; }

 private:
  ExperimentRegistry(std::string home, std::unique_ptr<SqliteConnection> db);
  Status SetField(std::string_view sql, const std::string& id, double now,
                  const std::function<void(Statement&)>& bind_value);

  std::string home_;
  std::unique_ptr<SqliteConnection> db_;
};

// $HONE_HOME, else $XDG_DATA_HOME/hone, else ~/.local/share/hone.
std::string DefaultHoneHome();
// The same rule with the variables given (null or empty = unset); `home` is $HOME.
std::string HoneHomeFrom(const char* hone_home, const char* xdg_data_home, const char* home);
// <home>/experiments/<id>, and the experiment database in it.
std::string ExperimentDir(const std::string& home, const std::string& id);
std::string ExperimentDbPath(const std::string& home, const std::string& id);
// 8 random characters from [a-z0-9], from std::random_device: ids must differ across
// runs and machines, so no experiment seed is involved.
std::string NewExperimentId();

}  // namespace hone
