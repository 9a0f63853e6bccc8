// What the storage, contract and web UI tests share: a fixture that owns a fresh
// temporary directory, and a way to turn an experiment database back into the one an
// older hone left (for the migration tests).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "storage/sqlite_util.h"

namespace hone::testing {

// A test with its own directory `dir_`, removed after the test.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / "hone_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string dir_;
};

// Undoes the experiment migrations above `version` on the database at `path` (its rows
// stay), as a hone of that schema version would have left it.
inline void DowngradeExperimentDb(const std::string& path, int version) {
  auto db = OpenSqlite(path, OpenMode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.status().message();
  std::string sql;
  if (version < 4) sql += "ALTER TABLE trials DROP COLUMN pid; ";
  if (version < 3)
    sql += "DROP TRIGGER trial_values_inserted; DROP TRIGGER trial_values_params; "
           "DROP TRIGGER trial_values_metrics; DROP TRIGGER trial_values_deleted; DROP TABLE trial_values; ";
  if (version < 2)
    sql += "DROP TRIGGER trials_inserted; DROP TRIGGER trials_updated; DROP TABLE trial_changes; "
           "DROP INDEX trials_final; DROP INDEX trials_status; ";
  sql += "PRAGMA user_version = " + std::to_string(version) + ";";
  Status done = ExecSql(db->get(), sql);
  ASSERT_TRUE(done.ok()) << done.message();
}

}  // namespace hone::testing
