// Opening an existing experiment database: a writer never lays a schema into an empty
// or foreign file, and a reader works in a folder nobody may write to.
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "storage/sqlite_storage.h"
#include "storage/sqlite_util.h"
#include "tests/storage/storage_test_util.h"

namespace hone {
namespace {

namespace fs = std::filesystem;

class SqliteStorageOpenTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    path_ = dir_ + "/hone.db";
  }
  void TearDown() override {
    if (immutable_) Chattr("-i");
    TempDirTest::TearDown();
  }
  // chattr on dir_ (root ignores chmod, but not the immutable attribute).
  bool Chattr(const std::string& flag) {
    return std::system(("chattr " + flag + " '" + dir_ + "' 2>/dev/null").c_str()) == 0;
  }

  std::string path_;
  bool immutable_ = false;
};

TEST_F(SqliteStorageOpenTest, AnyOpenButCreateRefusesAZeroLengthFileAndLeavesItEmpty) {
  std::ofstream(path_).close();
  for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
    auto storage = SqliteStorage::Open(path_, mode);
    ASSERT_FALSE(storage.ok());
    EXPECT_EQ(storage.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(storage.status().message().find("no hone schema"), std::string::npos) << storage.status().message();
  }
  EXPECT_EQ(fs::file_size(path_), 0u);
  EXPECT_FALSE(fs::exists(path_ + "-wal"));
}

TEST_F(SqliteStorageOpenTest, ReadWriteRefusesAForeignDatabaseWithoutTouchingIt) {
  {
    auto db = OpenSqlite(path_, OpenMode::kReadWriteCreate);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(ExecSql(db->get(), "PRAGMA journal_mode=DELETE; CREATE TABLE unrelated (x)").ok());
  }
  const auto size = fs::file_size(path_);
  auto storage = SqliteStorage::Open(path_, OpenMode::kReadWrite);
  ASSERT_FALSE(storage.ok());
  EXPECT_EQ(storage.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(fs::file_size(path_), size);
  EXPECT_FALSE(fs::exists(path_ + "-wal"));
}

TEST_F(SqliteStorageOpenTest, ReadOnlyReadsAnImmutableFolderWithoutCreatingFiles) {
  {
    auto storage = SqliteStorage::Open(path_, OpenMode::kReadWriteCreate);
    ASSERT_TRUE(storage.ok());
    TrialRecord t;
    t.seq = 7;
    ASSERT_TRUE((*storage)->InsertTrial(t).ok());
    ASSERT_TRUE((*storage)->PutMeta("config", "{}").ok());
  }  // closing the last connection folds the WAL back and removes -wal and -shm
  ASSERT_FALSE(fs::exists(path_ + "-wal"));
  ASSERT_FALSE(fs::exists(path_ + "-shm"));
  immutable_ = Chattr("+i");
  if (!immutable_) GTEST_SKIP() << "chattr +i is not available here";
  auto storage = SqliteStorage::Open(path_, OpenMode::kReadOnly);
  ASSERT_TRUE(storage.ok()) << storage.status().message();
  auto trials = (*storage)->LoadTrials(false);
  ASSERT_TRUE(trials.ok()) << trials.status().message();
  ASSERT_EQ(trials->size(), 1u);
  EXPECT_EQ((*trials)[0].seq, 7);
  EXPECT_EQ((*storage)->GetMeta("config").value_or(""), "{}");
  EXPECT_FALSE(fs::exists(path_ + "-wal"));
  EXPECT_FALSE(fs::exists(path_ + "-shm"));
}

}  // namespace
}  // namespace hone
