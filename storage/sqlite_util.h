// Small RAII layer over the SQLite C API shared by the experiment storage and the
// registry: connections opened with hone's settings, prepared statements that reset
// themselves, SQLite codes turned into Status, and the column encodings for values
// SQLite cannot hold as-is (NaN, non-finite numbers inside JSON). Internal to storage/:
// the headers other folders include (sqlite_storage.h, trial_query.h,
// experiment_registry.h) only name SqliteConnection.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "core/status.h"
#include "storage/open_mode.h"

namespace hone {

// How long a connection waits for another process's write lock before a call fails
// with Unavailable.
inline constexpr int kBusyTimeoutMs = 5000;

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqliteHandle = std::unique_ptr<sqlite3, SqliteCloser>;

// Opens `path` with WAL journaling, synchronous=NORMAL, extended result codes and a
// busy timeout of kBusyTimeoutMs. A missing file is NotFound unless `mode` creates it;
// kReadWrite refuses a file without a schema (user_version 0, zero bytes included) with
// FailedPrecondition before writing anything to it.
// WAL with synchronous=NORMAL survives any process crash with every commit intact; a
// power loss may drop the last commits but never corrupts the file. kInMemoryPath
// opens a fresh in-memory database (journal mode "memory", kReadOnly refused).
StatusOr<SqliteHandle> OpenSqlite(const std::string& path, OpenMode mode);

// Turns SQLite result code `rc` into a Status naming `what`: busy/locked become
// Unavailable, primary key and unique violations AlreadyExists, a read-only database
// FailedPrecondition, everything else Io.
Status SqliteStatus(sqlite3* db, int rc, std::string_view what);

// Runs one or more statements that return no rows.
Status ExecSql(sqlite3* db, std::string_view sql);

// One prepared statement. Bind errors are remembered and reported by the next Step.
class Statement {
 public:
  static StatusOr<std::unique_ptr<Statement>> Prepare(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite. Strings are copied and may hold any bytes,
  // NUL included. NaN binds as NULL (SQLite's own rule).
  void BindInt(int index, int64_t value);
  void BindDouble(int index, double value);
  void BindText(int index, std::string_view value);
  void BindNull(int index);
  void BindOptionalText(int index, const std::optional<std::string>& value);

  // Advances: true with a row to read, false when done.
  StatusOr<bool> Step();
  // Steps a statement that returns no rows to completion.
  Status Run();
  // Makes the statement ready for reuse and releases its read snapshot.
  void Reset();
  // Steps once and returns column 0 of the row as an integer, or `if_none` when there
  // is no row: for count(*), max(...) and pragmas.
  StatusOr<int64_t> SingleInt(int64_t if_none = 0);
  // Steps through every row, calling each(*this) (returning Status or nothing) per row;
  // stops at the first error.
  template <typename F>
  Status ForEachRow(F each);

  // Columns are 0-based.
  bool IsNull(int column) const;
  int64_t ColumnInt(int column) const;
  double ColumnDouble(int column) const;  // NULL reads as 0
  std::string ColumnText(int column) const;  // the stored bytes, NUL included
  std::optional<std::string> ColumnOptionalText(int column) const;

 private:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  void NoteBind(int rc, int index);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  Status bind_status_;
};

template <typename F>
Status Statement::ForEachRow(F each) {
  for (;;) {
    auto row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    if constexpr (std::is_void_v<decltype(each(*this))>) {
      each(*this);
    } else {
      HONE_RETURN_IF_ERROR(each(*this));
    }
  }
}

// A cached statement on loan: resets the statement (clearing its bindings and read
// snapshot) when the loan ends, so no cached SELECT keeps a WAL snapshot alive.
class StatementLease {
 public:
  explicit StatementLease(Statement* stmt) : stmt_(stmt) {}
  StatementLease(StatementLease&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
  StatementLease& operator=(StatementLease&&) = delete;
  ~StatementLease() {
    if (stmt_ != nullptr) stmt_->Reset();
  }
  Statement* operator->() const { return stmt_; }
  Statement& operator*() const { return *stmt_; }

 private:
  Statement* stmt_;
};

// Prepared statements of one connection, keyed by their SQL, prepared on first use.
// Must be destroyed before the connection.
class StatementCache {
 public:
  explicit StatementCache(sqlite3* db) : db_(db) {}
  StatusOr<StatementLease> Use(std::string_view sql);

 private:
  // Transparent, so a lookup by string_view allocates nothing.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>()(sql); }
  };
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<Statement>, SqlHash, std::equal_to<>> statements_;
};

// One open connection with its statement cache, released in the right order (the
// statements before the connection).
class SqliteConnection {
 public:
  explicit SqliteConnection(SqliteHandle db) : db_(std::move(db)), statements_(db_.get()) {}
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  sqlite3* get() const { return db_.get(); }
  StatusOr<StatementLease> Use(std::string_view sql) { return statements_.Use(sql); }
  // True while a transaction is open on the connection.
  bool in_transaction() const { return !sqlite3_get_autocommit(db_.get()); }
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t changes() const { return sqlite3_changes64(db_.get()); }

 private:
  SqliteHandle db_;
  StatementCache statements_;  // declared after db_: finalized before the close
};

// JSON as two columns. `text` is standard JSON (dumped with invalid UTF-8 replaced by
// U+FFFD, never throwing) in which NaN and +-Inf appear as null; `nonfinite` is NULL
// unless the value held such numbers, and then lists where they were:
// [["/default","nan"],["/curve/2","-inf"]] (JSON pointers). Decoding puts them back, so
// every double round-trips exactly.
struct JsonColumns {
  std::string text;
  std::optional<std::string> nonfinite;
};
JsonColumns EncodeJson(const nlohmann::json& value);
// A corrupt `text` is an Io error naming `what`.
StatusOr<nlohmann::json> DecodeJson(std::string_view text,
                                    const std::optional<std::string>& nonfinite,
                                    std::string_view what);

}  // namespace hone
