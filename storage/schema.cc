#include "storage/schema.h"

#include <string>

#include "storage/sqlite_util.h"

namespace hone {
namespace {

// Row times that the Storage interface does not pass (metrics, commands) are taken
// from SQLite's clock: unix seconds, millisecond resolution. They are informational
// (charts, listings); no decision reads them.
#define HONE_SQL_NOW "((julianday('now') - 2440587.5) * 86400.0)"

// Version 1. Value encodings (see sqlite_util.h for the JSON ones):
// - trials.final: the default final metric as REAL, NULL when there is none or it is
//   NaN (SQLite stores NaN as NULL); has_final tells the two apart. +-Inf are stored
//   as REAL as they are. -0.0 reads back as 0.0.
// - metrics.value: NULL is NaN (an intermediate value is always present).
// - params / final_metrics: standard JSON with non-finite numbers as null, and the
//   *_nonfinite column (NULL almost always) saying where they were.
// - reason, detail, raw: TEXT holding the exact bytes given (stderr may be any bytes).
constexpr Migration kExperimentMigrations[] = {
    {1, R"sql(
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE trials (
  seq INTEGER PRIMARY KEY,
  trial_id TEXT NOT NULL,
  config_id INTEGER NOT NULL,
  status TEXT NOT NULL,
  params TEXT NOT NULL,
  params_nonfinite TEXT,
  has_final INTEGER NOT NULL DEFAULT 0,
  final REAL,
  final_metrics TEXT,
  final_metrics_nonfinite TEXT,
  created_at REAL NOT NULL DEFAULT 0,
  started_at REAL NOT NULL DEFAULT 0,
  ended_at REAL NOT NULL DEFAULT 0,
  exit_code INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE metrics (
  seq INTEGER NOT NULL,
  step INTEGER NOT NULL,
  value REAL,
  raw TEXT NOT NULL DEFAULT '',
  time REAL NOT NULL DEFAULT )sql" HONE_SQL_NOW R"sql(
);
CREATE INDEX metrics_seq_step ON metrics (seq, step);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  time REAL NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX events_seq ON events (seq);
-- AUTOINCREMENT: a taken (deleted) command's id is never handed out again.
CREATE TABLE commands (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  args TEXT NOT NULL,
  created REAL NOT NULL DEFAULT )sql" HONE_SQL_NOW R"sql(
);
)sql"},
    // Version 2: what the web UI reads fast at 100,000 trials. trial_changes logs
    // every insert and update of a trial (by triggers, so no writer needs to know):
    // its id is the live-update cursor. The indexes serve the leaderboard's default
    // sorts and the state filter.
    {2, R"sql(
CREATE TABLE trial_changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  seq INTEGER NOT NULL
);
CREATE TRIGGER trials_inserted AFTER INSERT ON trials BEGIN
  INSERT INTO trial_changes (seq) VALUES (new.seq);
END;
CREATE TRIGGER trials_updated AFTER UPDATE ON trials BEGIN
  INSERT INTO trial_changes (seq) VALUES (new.seq);
END;
INSERT INTO trial_changes (seq) SELECT seq FROM trials ORDER BY seq;
CREATE INDEX trials_final ON trials (final, seq);
CREATE INDEX trials_status ON trials (status, seq);
)sql"},
    // Version 3: every parameter and final-metric value under its path, so the
    // leaderboard sorts by any of them through an index (json_extract in ORDER BY reads
    // every row). Triggers keep it in step with trials.params and trials.final_metrics.
    // - source: 0 = params, 1 = final_metrics.
    // - path: '$.a.b' for the dotted path a.b (json_tree's fullkey without its quotes).
    //   Values inside arrays and under keys holding '.' are left out: a dotted path
    //   cannot address them.
    // - value: as json_extract gives it (numbers, text, 1/0 for booleans, JSON text for
    //   objects and arrays); JSON null is left out, as json_extract gives NULL for it.
    // OR IGNORE: the first of duplicate keys wins, as in json_extract.
    {3, R"sql(
CREATE TABLE trial_values (
  seq INTEGER NOT NULL,
  source INTEGER NOT NULL,
  path TEXT NOT NULL,
  value NOT NULL,
  PRIMARY KEY (seq, source, path)
) WITHOUT ROWID;
CREATE INDEX trial_values_order ON trial_values (source, path, value, seq);
CREATE TRIGGER trial_values_inserted AFTER INSERT ON trials BEGIN
  INSERT OR IGNORE INTO trial_values (seq, source, path, value)
    SELECT new.seq, 0, replace(fullkey, '"', ''), value FROM json_tree(new.params)
    WHERE type <> 'null' AND instr(fullkey, '[') = 0 AND instr(key, '.') = 0;
  INSERT OR IGNORE INTO trial_values (seq, source, path, value)
    SELECT new.seq, 1, replace(fullkey, '"', ''), value FROM json_tree(new.final_metrics)
    WHERE new.final_metrics IS NOT NULL AND type <> 'null' AND instr(fullkey, '[') = 0 AND instr(key, '.') = 0;
END;
CREATE TRIGGER trial_values_params AFTER UPDATE OF seq, params ON trials
WHEN old.seq IS NOT new.seq OR old.params IS NOT new.params BEGIN
  DELETE FROM trial_values WHERE seq = old.seq AND source = 0;
  INSERT OR IGNORE INTO trial_values (seq, source, path, value)
    SELECT new.seq, 0, replace(fullkey, '"', ''), value FROM json_tree(new.params)
    WHERE type <> 'null' AND instr(fullkey, '[') = 0 AND instr(key, '.') = 0;
END;
CREATE TRIGGER trial_values_metrics AFTER UPDATE OF seq, final_metrics ON trials
WHEN old.seq IS NOT new.seq OR old.final_metrics IS NOT new.final_metrics BEGIN
  DELETE FROM trial_values WHERE seq = old.seq AND source = 1;
  INSERT OR IGNORE INTO trial_values (seq, source, path, value)
    SELECT new.seq, 1, replace(fullkey, '"', ''), value FROM json_tree(new.final_metrics)
    WHERE new.final_metrics IS NOT NULL AND type <> 'null' AND instr(fullkey, '[') = 0 AND instr(key, '.') = 0;
END;
CREATE TRIGGER trial_values_deleted AFTER DELETE ON trials BEGIN
  DELETE FROM trial_values WHERE seq = old.seq;
END;
INSERT OR IGNORE INTO trial_values (seq, source, path, value)
  SELECT t.seq, 0, replace(j.fullkey, '"', ''), j.value FROM trials t, json_tree(t.params) j
  WHERE j.type <> 'null' AND instr(j.fullkey, '[') = 0 AND instr(j.key, '.') = 0;
INSERT OR IGNORE INTO trial_values (seq, source, path, value)
  SELECT t.seq, 1, replace(j.fullkey, '"', ''), j.value FROM trials t, json_tree(t.final_metrics) j
  WHERE t.final_metrics IS NOT NULL AND j.type <> 'null' AND instr(j.fullkey, '[') = 0 AND instr(j.key, '.') = 0;
)sql"},
    // Version 4: the trial's process (group) id as the platform reported it at start
    // (0 = none), which a resumed manager needs to end what a dead one left running.
    // Trials started before this version have 0 here and their pid only in the text
    // of their "started" event.
    {4, R"sql(
ALTER TABLE trials ADD COLUMN pid INTEGER NOT NULL DEFAULT 0;
)sql"},
};

constexpr Migration kRegistryMigrations[] = {
    {1, R"sql(
CREATE TABLE experiments (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  dir TEXT NOT NULL,
  status TEXT NOT NULL,
  manager_pid INTEGER NOT NULL DEFAULT 0,
  ui_port INTEGER NOT NULL DEFAULT 0,
  created REAL NOT NULL,
  updated REAL NOT NULL,
  config_path TEXT NOT NULL DEFAULT ''
);
CREATE INDEX experiments_created ON experiments (created);
)sql"},
};

#undef HONE_SQL_NOW

StatusOr<int> UserVersion(sqlite3* db) {
  auto stmt = Statement::Prepare(db, "PRAGMA user_version");
  if (!stmt.ok()) return stmt.status();
  auto row = (*stmt)->Step();
  if (!row.ok()) return row.status();
  return *row ? static_cast<int>((*stmt)->ColumnInt(0)) : 0;
}

Status CheckNotNewer(int version, int latest) {
  if (version > latest)
    return FailedPrecondition("database schema version " + std::to_string(version) +
                              " is newer than this hone knows (" + std::to_string(latest) +
                              "); it was written by a newer hone");
  return Status::Ok();
}

Status ApplyInTransaction(sqlite3* db, std::span<const Migration> migrations, int latest) {
  // Read again under the write lock: another process may have migrated meanwhile.
  auto version = UserVersion(db);
  if (!version.ok()) return version.status();
  HONE_RETURN_IF_ERROR(CheckNotNewer(*version, latest));
  for (const Migration& m : migrations) {
    if (m.version <= *version) continue;
    HONE_RETURN_IF_ERROR(ExecSql(db, m.sql).WithContext("migration to version " + std::to_string(m.version)));
  }
  return ExecSql(db, "PRAGMA user_version = " + std::to_string(latest));
}

}  // namespace

std::span<const Migration> ExperimentMigrations() { return kExperimentMigrations; }
std::span<const Migration> RegistryMigrations() { return kRegistryMigrations; }

int LatestVersion(std::span<const Migration> migrations) {
  for (size_t i = 0; i < migrations.size(); ++i)
    assert(migrations[i].version == static_cast<int>(i) + 1 && "migrations are numbered 1, 2, ...");
  return static_cast<int>(migrations.size());
}

Status Migrate(sqlite3* db, std::span<const Migration> migrations, bool read_only) {
  const int latest = LatestVersion(migrations);
  auto version = UserVersion(db);
  if (!version.ok()) return version.status();
  HONE_RETURN_IF_ERROR(CheckNotNewer(*version, latest));
  if (*version == latest) return Status::Ok();
  if (read_only && *version == 0)
    return FailedPrecondition("database holds no hone schema (an empty or foreign file)");
  if (read_only)
    return FailedPrecondition("database schema version " + std::to_string(*version) + " is older than " +
                              std::to_string(latest) + "; open it read-write once to migrate it");

  HONE_RETURN_IF_ERROR(ExecSql(db, "BEGIN IMMEDIATE"));
  Status applied = ApplyInTransaction(db, migrations, latest);
  if (!applied.ok()) {
    ExecSql(db, "ROLLBACK");  // the error that matters is `applied`
    return applied;
  }
  return ExecSql(db, "COMMIT");
}

}  // namespace hone
