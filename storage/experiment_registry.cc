#include "storage/experiment_registry.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "storage/schema.h"
#include "storage/sqlite_util.h"

namespace hone {
namespace {

// The column order ReadEntry expects.
#define HONE_ENTRY_COLUMNS "id, name, dir, status, manager_pid, ui_port, created, updated, config_path"
constexpr std::string_view kInsert =
    "INSERT INTO experiments (" HONE_ENTRY_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr std::string_view kSelectExact = "SELECT " HONE_ENTRY_COLUMNS " FROM experiments WHERE id = ?1";
// substr rather than LIKE: LIKE treats '_' and '%' as wildcards and ignores case.
constexpr std::string_view kSelectPrefix = "SELECT " HONE_ENTRY_COLUMNS
                                           " FROM experiments WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id LIMIT 11";
constexpr std::string_view kSelectAll = "SELECT " HONE_ENTRY_COLUMNS " FROM experiments ORDER BY created DESC, id";
#undef HONE_ENTRY_COLUMNS
constexpr std::string_view kSetStatus = "UPDATE experiments SET status = ?2, updated = ?3 WHERE id = ?1";
constexpr std::string_view kSetPid = "UPDATE experiments SET manager_pid = ?2, updated = ?3 WHERE id = ?1";
constexpr std::string_view kSetPort = "UPDATE experiments SET ui_port = ?2, updated = ?3 WHERE id = ?1";
constexpr std::string_view kDelete = "DELETE FROM experiments WHERE id = ?1";

ExperimentEntry ReadEntry(const Statement& row) {
  ExperimentEntry e;
  e.id = row.ColumnText(0);
  e.name = row.ColumnText(1);
  e.dir = row.ColumnText(2);
  e.status = row.ColumnText(3);
  e.manager_pid = row.ColumnInt(4);
  e.ui_port = static_cast<int>(row.ColumnInt(5));
  e.created = row.ColumnDouble(6);
  e.updated = row.ColumnDouble(7);
  e.config_path = row.ColumnText(8);
  return e;
}

// Reads every row of a prepared SELECT of entries.
StatusOr<std::vector<ExperimentEntry>> ReadEntries(Statement& stmt) {
  std::vector<ExperimentEntry> entries;
  HONE_RETURN_IF_ERROR(stmt.ForEachRow([&](const Statement& row) { entries.push_back(ReadEntry(row)); }));
  return entries;
}

}  // namespace

StatusOr<std::unique_ptr<ExperimentRegistry>> ExperimentRegistry::Open(const std::string& home_dir) {
  const std::string path = (std::filesystem::path(home_dir) / "registry.db").string();
  auto db = OpenSqlite(path, OpenMode::kReadWriteCreate);
  if (!db.ok()) return db.status().WithContext("registry");
  HONE_RETURN_IF_ERROR(Migrate(db->get(), RegistryMigrations(), /*read_only=*/false).WithContext("registry " + path));
  return std::unique_ptr<ExperimentRegistry>(
      new ExperimentRegistry(home_dir, std::make_unique<SqliteConnection>(std::move(*db))));
}

ExperimentRegistry::ExperimentRegistry(std::string home, std::unique_ptr<SqliteConnection> db)
    : home_(std::move(home)), db_(std::move(db)) {}

ExperimentRegistry::~ExperimentRegistry() = default;

Status ExperimentRegistry::Add(const ExperimentEntry& entry) {
  if (entry.id.empty()) return InvalidArgument("registry: an experiment id must not be empty");
  auto stmt = db_->Use(kInsert);
  if (!stmt.ok()) return stmt.status().WithContext("registry");
  (*stmt)->BindText(1, entry.id);
  (*stmt)->BindText(2, entry.name);
  (*stmt)->BindText(3, entry.dir);
  (*stmt)->BindText(4, entry.status);
  (*stmt)->BindInt(5, entry.manager_pid);
  (*stmt)->BindInt(6, entry.ui_port);
  (*stmt)->BindDouble(7, entry.created);
  (*stmt)->BindDouble(8, entry.updated);
  (*stmt)->BindText(9, entry.config_path);
  Status added = (*stmt)->Run();
  if (added.code() == StatusCode::kAlreadyExists)
    return Status(StatusCode::kAlreadyExists, "registry: experiment " + entry.id + " already exists");
  return added.WithContext("registry: add " + entry.id);
}

Status ExperimentRegistry::SetField(std::string_view sql, const std::string& id, double now,
                                    const std::function<void(Statement&)>& bind_value) {
  auto stmt = db_->Use(sql);
  if (!stmt.ok()) return stmt.status().WithContext("registry");
  (*stmt)->BindText(1, id);
  bind_value(**stmt);
  (*stmt)->BindDouble(3, now);
  HONE_RETURN_IF_ERROR((*stmt)->Run().WithContext("registry: update " + id));
  if (db_->changes() == 0) return NotFound("registry: no experiment " + id);
  return Status::Ok();
}

Status ExperimentRegistry::SetStatus(const std::string& id, const std::string& status, double now) {
  return SetField(kSetStatus, id, now, [&](Statement& s) { s.BindText(2, status); });
}

Status ExperimentRegistry::SetManagerPid(const std::string& id, int64_t pid, double now) {
  return SetField(kSetPid, id, now, [&](Statement& s) { s.BindInt(2, pid); });
}

Status ExperimentRegistry::SetUiPort(const std::string& id, int port, double now) {
  return SetField(kSetPort, id, now, [&](Statement& s) { s.BindInt(2, port); });
}

StatusOr<ExperimentEntry> ExperimentRegistry::Get(const std::string& id_or_prefix) {
  if (id_or_prefix.empty()) return InvalidArgument("registry: an experiment id must not be empty");
  {
    auto stmt = db_->Use(kSelectExact);
    if (!stmt.ok()) return stmt.status().WithContext("registry");
    (*stmt)->BindText(1, id_or_prefix);
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status().WithContext("registry");
    if (*row) return ReadEntry(**stmt);
  }
  auto stmt = db_->Use(kSelectPrefix);
  if (!stmt.ok()) return stmt.status().WithContext("registry");
  (*stmt)->BindText(1, id_or_prefix);
  auto matches = ReadEntries(**stmt);
  if (!matches.ok()) return matches.status().WithContext("registry");
  if (matches->empty()) return NotFound("no experiment has an id starting with '" + id_or_prefix + "'");
  if (matches->size() == 1) return std::move(matches->front());
  std::string message = "experiment id prefix '" + id_or_prefix + "' is ambiguous; candidates:";
  for (size_t i = 0; i < matches->size() && i < 10; ++i) message += " " + (*matches)[i].id;
  if (matches->size() > 10) message += " ...";
  return InvalidArgument(message);
}

StatusOr<std::vector<ExperimentEntry>> ExperimentRegistry::List() {
  auto stmt = db_->Use(kSelectAll);
  if (!stmt.ok()) return stmt.status().WithContext("registry");
  auto entries = ReadEntries(**stmt);
  if (!entries.ok()) return entries.status().WithContext("registry: list");
  return entries;
}

Status ExperimentRegistry::Remove(const std::string& id) {
  auto stmt = db_->Use(kDelete);
  if (!stmt.ok()) return stmt.status().WithContext("registry");
  (*stmt)->BindText(1, id);
  HONE_RETURN_IF_ERROR((*stmt)->Run().WithContext("registry: remove " + id));
  if (db_->changes() == 0) return NotFound("registry: no experiment " + id);
  return Status::Ok();
}

// --- paths and ids ---

std::string HoneHomeFrom(const char* hone_home, const char* xdg_data_home, const char* home) {
  auto set = [](const char* v) { return v != nullptr && *v != '\0'; };
  if (set(hone_home)) return hone_home;
  if (set(xdg_data_home)) return (std::filesystem::path(xdg_data_home) / "hone").string();
  std::string base = set(home) ? home : "";
  if (base.empty()) {
    // No $HOME (a daemon, a bare container): ask the password database.
    if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr) base = pw->pw_dir;
  }
  return (std::filesystem::path(base.empty() ? "." : base) / ".local" / "share" / "hone").string();
}

std::string DefaultHoneHome() {
  return HoneHomeFrom(std::getenv("HONE_HOME"), std::getenv("XDG_DATA_HOME"), std::getenv("HOME"));
}

std::string ExperimentDir(const std::string& home, const std::string& id) {
  return (std::filesystem::path(home) / "experiments" / id).string();
}

std::string ExperimentDbPath(const std::string& home, const std::string& id) {
  return (std::filesystem::path(ExperimentDir(home, id)) / "hone.db").string();
}

std::string NewExperimentId() {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device device;
  std::uniform_int_distribution<size_t> pick(0, kAlphabet.size() - 1);
  std::string id(8, ' ');
  for (char& c : id) c = kAlphabet[pick(device)];
  return id;
}

}  // namespace hone
