#include "storage/schema.h"

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "storage/experiment_registry.h"
#include "storage/sqlite_storage.h"
#include "storage/sqlite_util.h"

#include "tests/storage/storage_test_util.h"

namespace hone {
namespace {

class SchemaTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    path_ = dir_ + "/hone.db";
  }

  // A database written by hand, as an older hone would have left it.
  SqliteHandle HandMade(std::string_view sql) {
    auto db = OpenSqlite(path_, OpenMode::kReadWriteCreate);
    EXPECT_TRUE(db.ok()) << db.status().message();
    if (!db.ok()) return nullptr;
    Status made = ExecSql(db->get(), sql);
    EXPECT_TRUE(made.ok()) << made.message();
    return std::move(*db);
  }

  static int64_t QueryInt(sqlite3* db, std::string_view sql) {
    auto stmt = Statement::Prepare(db, sql);
    EXPECT_TRUE(stmt.ok()) << stmt.status().message();
    if (!stmt.ok()) return -1;
    auto row = (*stmt)->Step();
    EXPECT_TRUE(row.ok() && *row);
    return (*stmt)->ColumnInt(0);
  }

  std::string path_;
};

constexpr Migration kTwoSteps[] = {
    {1, "CREATE TABLE trials (seq INTEGER PRIMARY KEY, status TEXT);"},
    {2, "ALTER TABLE trials ADD COLUMN gpu TEXT NOT NULL DEFAULT 'none';"
        "CREATE TABLE notes (text TEXT);"},
};

TEST_F(SchemaTest, MigratesAnOlderDatabaseKeepingItsRows) {
  SqliteHandle db = HandMade(
      "CREATE TABLE trials (seq INTEGER PRIMARY KEY, status TEXT);"
      "INSERT INTO trials VALUES (0, 'succeeded');"
      "PRAGMA user_version = 1;");
  ASSERT_NE(db, nullptr);
  Status migrated = Migrate(db.get(), kTwoSteps, /*read_only=*/false);
  ASSERT_TRUE(migrated.ok()) << migrated.message();
  EXPECT_EQ(QueryInt(db.get(), "PRAGMA user_version"), 2);
  EXPECT_EQ(QueryInt(db.get(), "SELECT count(*) FROM trials WHERE gpu = 'none' AND status = 'succeeded'"), 1);
  EXPECT_EQ(QueryInt(db.get(), "SELECT count(*) FROM notes"), 0);
  // Idempotent: a second open changes nothing.
  ASSERT_TRUE(Migrate(db.get(), kTwoSteps, false).ok());
  EXPECT_EQ(QueryInt(db.get(), "PRAGMA user_version"), 2);
}

TEST_F(SchemaTest, AFailedMigrationLeavesTheDatabaseAsItWas) {
  constexpr Migration kBroken[] = {
      {1, "CREATE TABLE trials (seq INTEGER PRIMARY KEY);"},
      {2, "CREATE TABLE notes (text TEXT); CREATE TABLE trials (x);"},  // trials exists
  };
  SqliteHandle db = HandMade("CREATE TABLE trials (seq INTEGER PRIMARY KEY); PRAGMA user_version = 1;");
  ASSERT_NE(db, nullptr);
  Status failed = Migrate(db.get(), kBroken, false);
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("migration to version 2"), std::string::npos) << failed.message();
  EXPECT_EQ(QueryInt(db.get(), "PRAGMA user_version"), 1);
  EXPECT_EQ(QueryInt(db.get(), "SELECT count(*) FROM sqlite_master WHERE name = 'notes'"), 0);
  EXPECT_TRUE(sqlite3_get_autocommit(db.get()));
}

TEST_F(SchemaTest, ReadOnlyDoesNotMigrate) {
  SqliteHandle db = HandMade("CREATE TABLE trials (seq INTEGER PRIMARY KEY, status TEXT); PRAGMA user_version = 1;");
  ASSERT_NE(db, nullptr);
  Status refused = Migrate(db.get(), kTwoSteps, /*read_only=*/true);
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(QueryInt(db.get(), "PRAGMA user_version"), 1);
}

TEST_F(SchemaTest, CreateModeBuildsTheSchemaOnAnEmptyHandMadeFile) {
  {
    SqliteHandle db = HandMade("CREATE TABLE unrelated (x); PRAGMA user_version = 0;");
    ASSERT_NE(db, nullptr);
  }
  auto storage = SqliteStorage::Open(path_, OpenMode::kReadWriteCreate);
  ASSERT_TRUE(storage.ok()) << storage.status().message();
  TrialRecord t;
  t.seq = 1;
  ASSERT_TRUE((*storage)->InsertTrial(t).ok());
  ASSERT_TRUE((*storage)->Flush().ok());
  storage->reset();
  auto db = OpenSqlite(path_, OpenMode::kReadOnly);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(QueryInt(db->get(), "PRAGMA user_version"), LatestVersion(ExperimentMigrations()));
  EXPECT_EQ(QueryInt(db->get(), "SELECT count(*) FROM trials"), 1);
}

TEST_F(SchemaTest, StorageRefusesADatabaseFromANewerHone) {
  const int newer = LatestVersion(ExperimentMigrations()) + 1;
  {
    SqliteHandle db = HandMade("PRAGMA user_version = " + std::to_string(newer));
    ASSERT_NE(db, nullptr);
  }
  for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
    auto storage = SqliteStorage::Open(path_, mode);
    ASSERT_FALSE(storage.ok());
    EXPECT_EQ(storage.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(storage.status().message().find("newer"), std::string::npos) << storage.status().message();
  }
  auto db = OpenSqlite(path_, OpenMode::kReadOnly);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(QueryInt(db->get(), "PRAGMA user_version"), newer);  // untouched
}

TEST_F(SchemaTest, RegistryRefusesADatabaseFromANewerHone) {
  path_ = dir_ + "/registry.db";
  {
    SqliteHandle db = HandMade("PRAGMA user_version = " + std::to_string(LatestVersion(RegistryMigrations()) + 1));
    ASSERT_NE(db, nullptr);
  }
  auto registry = ExperimentRegistry::Open(dir_);
  EXPECT_EQ(registry.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(SchemaTest, StorageOpenSetsWalJournaling) {
  auto storage = SqliteStorage::Open(path_, OpenMode::kReadWriteCreate);
  ASSERT_TRUE(storage.ok());
  auto db = OpenSqlite(path_, OpenMode::kReadOnly);
  ASSERT_TRUE(db.ok());
  auto stmt = Statement::Prepare(db->get(), "PRAGMA journal_mode");
  ASSERT_TRUE(stmt.ok());
  ASSERT_TRUE(*(*stmt)->Step());
  EXPECT_EQ((*stmt)->ColumnText(0), "wal");
}

TEST_F(SchemaTest, TrialsOfAnOlderDatabaseGetAPidOfZero) {
  {
    auto storage = SqliteStorage::Open(path_, OpenMode::kReadWriteCreate);
    ASSERT_TRUE(storage.ok()) << storage.status().message();
    TrialRecord t;
    t.seq = 1;
    t.status = TrialStatus::kRunning;
    ASSERT_TRUE((*storage)->InsertTrial(t).ok());
    ASSERT_TRUE((*storage)->Flush().ok());
  }
  testing::DowngradeExperimentDb(path_, 3);  // before trials had a pid
  auto storage = SqliteStorage::Open(path_, OpenMode::kReadWrite);
  ASSERT_TRUE(storage.ok()) << storage.status().message();
  auto old = (*storage)->LoadTrial(1);
  ASSERT_TRUE(old.ok() && old->has_value()) << old.status().message();
  EXPECT_EQ((*old)->pid, 0);
  TrialRecord t = **old;
  t.pid = 555;
  ASSERT_TRUE((*storage)->UpdateTrial(t).ok());
  ASSERT_TRUE((*storage)->Flush().ok());
  auto updated = (*storage)->LoadTrial(1);
  ASSERT_TRUE(updated.ok() && updated->has_value());
  EXPECT_EQ((*updated)->pid, 555);
  storage->reset();
  auto db = OpenSqlite(path_, OpenMode::kReadOnly);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(QueryInt(db->get(), "PRAGMA user_version"), 4);
  EXPECT_EQ(QueryInt(db->get(), "SELECT pid FROM trials WHERE seq = 1"), 555);
}

TEST(MigrationListTest, VersionsAreNumberedWithoutGaps) {
  for (auto list : {ExperimentMigrations(), RegistryMigrations()}) {
    ASSERT_FALSE(list.empty());
    for (size_t i = 0; i < list.size(); ++i) EXPECT_EQ(list[i].version, static_cast<int>(i) + 1);
  }
}

}  // namespace
}  // namespace hone
