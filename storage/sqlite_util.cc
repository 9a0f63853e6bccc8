#include "storage/sqlite_util.h"

#include <cctype>
#include <cmath>
#include <filesystem>
#include <limits>
#include <system_error>

#include <unistd.h>

namespace hone {

using nlohmann::json;

Status SqliteStatus(sqlite3* db, int rc, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      message += " (another process held the database for more than " +
                 std::to_string(kBusyTimeoutMs) + " ms)";
      return Status(StatusCode::kUnavailable, message);
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
        return Status(StatusCode::kAlreadyExists, message);
      return InvalidArgument(message);
    case SQLITE_READONLY:
      return FailedPrecondition(message);
    default:
      return IoError(message);
  }
}

Status ExecSql(sqlite3* db, std::string_view sql) {
  std::string owned(sql);
  char* error = nullptr;
  int rc = sqlite3_exec(db, owned.c_str(), nullptr, nullptr, &error);
  sqlite3_free(error);  // sqlite3_errmsg still holds the same text
  if (rc != SQLITE_OK) return SqliteStatus(db, rc, owned);
  return Status::Ok();
}

namespace {

// Runs a pragma that answers one text value (journal_mode does).
StatusOr<std::string> PragmaText(sqlite3* db, std::string_view sql) {
  auto stmt = Statement::Prepare(db, sql);
  if (!stmt.ok()) return stmt.status();
  auto row = (*stmt)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::string();
  return (*stmt)->ColumnText(0);
}

// SQLite's URI form of `path` with `query` appended; bytes a URI path cannot hold
// as-is are percent-encoded.
std::string SqliteUri(const std::string& path, std::string_view query) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = "file:";
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 15];
    }
  }
  uri += '?';
  uri += query;
  return uri;
}

// Whether a read-only open must say immutable: in WAL mode even a reader creates the
// -shm file (and SQLite may want -wal) beside the database, which a folder nobody
// may write to cannot take. Such a folder has no live writer either (it could not
// have its own -wal), unless a -wal with commits in it was left there before the
// folder became read-only; then the plain read-only open is the one that sees them.
bool NeedsImmutable(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) parent = ".";
  if (::access(parent.c_str(), W_OK) == 0) return false;
  std::error_code ec;
  const auto wal_size = std::filesystem::file_size(path + "-wal", ec);
  return ec || wal_size == 0;  // no -wal, or one a reader left empty
}

// kReadWrite opens an existing database only: a file without any schema (zero
// bytes, or user_version 0) is refused before anything, WAL switch included, writes
// to it; only kReadWriteCreate lays a schema down.
Status CheckHasSchema(sqlite3* db, const std::string& path) {
  auto version = PragmaText(db, "PRAGMA user_version");
  if (!version.ok()) return version.status().WithContext(path);
  if (*version == "0" || version->empty())
    return FailedPrecondition(path + ": holds no hone schema (an empty or foreign file); refusing to write to it");
  return Status::Ok();
}

}  // namespace

StatusOr<SqliteHandle> OpenSqlite(const std::string& path, OpenMode mode) {
  std::error_code ec;
  int flags = SQLITE_OPEN_NOMUTEX;  // a connection is used by one thread at a time
  const bool in_memory = path == kInMemoryPath;
  if (in_memory) {
    // A read-only database that starts empty could never hold a schema.
    if (mode == OpenMode::kReadOnly) return InvalidArgument(path + ": an in-memory database cannot be read-only");
    flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  } else if (mode == OpenMode::kReadWriteCreate) {
    flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) return IoError(path + ": cannot create directory " + parent.string() + ": " + ec.message());
  } else {
    flags |= mode == OpenMode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (!std::filesystem::exists(path, ec)) return NotFound(path + ": no such database");
  }

  std::string name = path;
  if (mode == OpenMode::kReadOnly && NeedsImmutable(path)) {
    name = SqliteUri(path, "immutable=1");
    flags |= SQLITE_OPEN_URI;
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
  SqliteHandle db(raw);
  if (rc != SQLITE_OK) return SqliteStatus(raw, rc, path + ": cannot open");
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  if (mode == OpenMode::kReadWrite && !in_memory) HONE_RETURN_IF_ERROR(CheckHasSchema(db.get(), path));

  if (mode != OpenMode::kReadOnly) {
    // Persistent in the file; readers then never block the writer nor the other way.
    auto journal = PragmaText(db.get(), "PRAGMA journal_mode=WAL");
    if (!journal.ok()) return journal.status().WithContext(path);
    // An in-memory database has no file to keep a write-ahead log beside.
    const std::string_view wanted = in_memory ? "memory" : "wal";
    if (*journal != wanted) return IoError(path + ": cannot switch to WAL journaling (got " + *journal + ")");
  }
  HONE_RETURN_IF_ERROR(ExecSql(db.get(), "PRAGMA synchronous=NORMAL").WithContext(path));
  return db;
}

// --- Statement ---

StatusOr<std::unique_ptr<Statement>> Statement::Prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &stmt, &tail);
  if (rc != SQLITE_OK) return SqliteStatus(db, rc, "prepare " + std::string(sql));
  assert(stmt != nullptr && "empty SQL");
  assert(std::string_view(tail, sql.data() + sql.size() - tail).find_first_not_of(" \n\t;") ==
             std::string_view::npos && "one statement per Prepare");
  return std::unique_ptr<Statement>(new Statement(db, stmt));
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::NoteBind(int rc, int index) {
  if (rc != SQLITE_OK && bind_status_.ok())
    bind_status_ = SqliteStatus(db_, rc, "bind parameter " + std::to_string(index) + " of " + sqlite3_sql(stmt_));
}

void Statement::BindInt(int index, int64_t value) { NoteBind(sqlite3_bind_int64(stmt_, index, value), index); }

void Statement::BindDouble(int index, double value) {
  NoteBind(sqlite3_bind_double(stmt_, index, value), index);
}

void Statement::BindText(int index, std::string_view value) {
  // sqlite3_bind_text64 with an explicit length keeps every byte, NUL and invalid
  // UTF-8 included; SQLite never validates TEXT.
  NoteBind(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
           index);
}

void Statement::BindNull(int index) { NoteBind(sqlite3_bind_null(stmt_, index), index); }

void Statement::BindOptionalText(int index, const std::optional<std::string>& value) {
  if (value) BindText(index, *value);
  else BindNull(index);
}

StatusOr<bool> Statement::Step() {
  if (!bind_status_.ok()) return bind_status_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(db_, rc, sqlite3_sql(stmt_));
}

Status Statement::Run() {
  for (;;) {
    auto row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
  }
}

StatusOr<int64_t> Statement::SingleInt(int64_t if_none) {
  auto row = Step();
  if (!row.ok()) return row.status();
  return *row ? ColumnInt(0) : if_none;
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_status_ = Status::Ok();
}

bool Statement::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

int64_t Statement::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::ColumnDouble(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::ColumnText(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  int size = sqlite3_column_bytes(stmt_, column);  // after column_text, as SQLite asks
  return text == nullptr ? std::string() : std::string(text, static_cast<size_t>(size));
}

std::optional<std::string> Statement::ColumnOptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return ColumnText(column);
}

// --- StatementCache ---

StatusOr<StatementLease> StatementCache::Use(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    auto stmt = Statement::Prepare(db_, sql);
    if (!stmt.ok()) return stmt.status();
    it = statements_.emplace(std::string(sql), std::move(*stmt)).first;
  }
  return StatementLease(it->second.get());
}

// --- JSON columns ---

namespace {

bool HasNonFinite(const json& value) {
  switch (value.type()) {
    case json::value_t::number_float:
      return !std::isfinite(value.get<double>());
    case json::value_t::object:
    case json::value_t::array:
      for (const auto& child : value)
        if (HasNonFinite(child)) return true;
      return false;
    default:
      return false;
  }
}

std::string_view NonFiniteName(double value) {
  if (std::isnan(value)) return "nan";
  return value > 0 ? "inf" : "-inf";
}

// Replaces each non-finite number in `value` by null and records where it was.
void ExtractNonFinite(json& value, json::json_pointer& where, json& found) {
  if (value.is_number_float() && !std::isfinite(value.get<double>())) {
    found.push_back(json::array({where.to_string(), NonFiniteName(value.get<double>())}));
    value = nullptr;
  } else if (value.is_object()) {
    for (auto& [key, child] : value.items()) {
      where.push_back(key);
      ExtractNonFinite(child, where, found);
      where.pop_back();
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      where.push_back(std::to_string(i));
      ExtractNonFinite(value[i], where, found);
      where.pop_back();
    }
  }
}

std::string Dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

JsonColumns EncodeJson(const json& value) {
  if (!HasNonFinite(value)) return {Dump(value), std::nullopt};
  json copy = value;
  json found = json::array();
  json::json_pointer where;
  ExtractNonFinite(copy, where, found);
  return {Dump(copy), Dump(found)};
}

StatusOr<json> DecodeJson(std::string_view text, const std::optional<std::string>& nonfinite,
                          std::string_view what) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return IoError(std::string(what) + ": stored JSON is corrupt");
  if (!nonfinite) return value;
  json found = json::parse(*nonfinite, nullptr, /*allow_exceptions=*/false);
  if (!found.is_array()) return IoError(std::string(what) + ": stored non-finite list is corrupt");
  for (const auto& entry : found) {
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_string())
      return IoError(std::string(what) + ": stored non-finite list is corrupt");
    const std::string& kind = entry[1].get_ref<const std::string&>();
    double number = kind == "nan"  ? std::numeric_limits<double>::quiet_NaN()
                    : kind == "inf" ? std::numeric_limits<double>::infinity()
                                    : -std::numeric_limits<double>::infinity();
    try {
      value.at(json::json_pointer(entry[0].get<std::string>())) = number;
    } catch (const json::exception&) {
      return IoError(std::string(what) + ": stored non-finite list names a missing element " +
                     entry[0].get<std::string>());
    }
  }
  return value;
}

}  // namespace hone
