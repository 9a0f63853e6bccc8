#include "storage/experiment_registry.h"

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tests/storage/storage_test_util.h"

namespace hone {
namespace {

class ExperimentRegistryTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    home_ = dir_ + "/home";  // does not exist yet: Open creates it
    auto registry = ExperimentRegistry::Open(home_);
    ASSERT_TRUE(registry.ok()) << registry.status().message();
    registry_ = std::move(*registry);
  }
  void TearDown() override {
    registry_.reset();
    TempDirTest::TearDown();
  }

  ExperimentEntry Entry(const std::string& id, double created) {
    ExperimentEntry e;
    e.id = id;
    e.name = "exp " + id;
    e.dir = ExperimentDir(home_, id);
    e.status = "running";
    e.manager_pid = 4242;
    e.ui_port = 8080;
    e.created = created;
    e.updated = created;
    e.config_path = "/configs/" + id + ".yaml";
    return e;
  }

  std::string home_;
  std::unique_ptr<ExperimentRegistry> registry_;
};

void ExpectSameEntry(const ExperimentEntry& want, const ExperimentEntry& got) {
  EXPECT_EQ(want.id, got.id);
  EXPECT_EQ(want.name, got.name);
  EXPECT_EQ(want.dir, got.dir);
  EXPECT_EQ(want.status, got.status);
  EXPECT_EQ(want.manager_pid, got.manager_pid);
  EXPECT_EQ(want.ui_port, got.ui_port);
  EXPECT_EQ(want.created, got.created);
  EXPECT_EQ(want.updated, got.updated);
  EXPECT_EQ(want.config_path, got.config_path);
}

TEST_F(ExperimentRegistryTest, AddThenGetByExactIdRoundTripsEveryField) {
  ExperimentEntry e = Entry("k3x9ab2q", 1700000000.5);
  ASSERT_TRUE(registry_->Add(e).ok());
  auto got = registry_->Get("k3x9ab2q");
  ASSERT_TRUE(got.ok()) << got.status().message();
  ExpectSameEntry(e, *got);
  EXPECT_TRUE(std::filesystem::exists(home_ + "/registry.db"));
}

TEST_F(ExperimentRegistryTest, AddingATakenIdIsAlreadyExists) {
  ASSERT_TRUE(registry_->Add(Entry("aaaa1111", 1)).ok());
  EXPECT_EQ(registry_->Add(Entry("aaaa1111", 2)).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(registry_->Add(Entry("", 2)).code(), StatusCode::kInvalidArgument);
}

TEST_F(ExperimentRegistryTest, GetResolvesAUniquePrefix) {
  ASSERT_TRUE(registry_->Add(Entry("abc12345", 1)).ok());
  ASSERT_TRUE(registry_->Add(Entry("abd99999", 2)).ok());
  auto got = registry_->Get("abc");
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->id, "abc12345");
  auto other = registry_->Get("abd9");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->id, "abd99999");
}

TEST_F(ExperimentRegistryTest, AmbiguousPrefixFailsListingTheCandidates) {
  ASSERT_TRUE(registry_->Add(Entry("abc12345", 1)).ok());
  ASSERT_TRUE(registry_->Add(Entry("abd99999", 2)).ok());
  auto got = registry_->Get("ab");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(got.status().message().find("ambiguous"), std::string::npos);
  EXPECT_NE(got.status().message().find("abc12345"), std::string::npos) << got.status().message();
  EXPECT_NE(got.status().message().find("abd99999"), std::string::npos) << got.status().message();
}

TEST_F(ExperimentRegistryTest, ExactIdWinsOverLongerIdsItPrefixes) {
  ASSERT_TRUE(registry_->Add(Entry("abc", 1)).ok());
  ASSERT_TRUE(registry_->Add(Entry("abcdef", 2)).ok());
  auto got = registry_->Get("abc");
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->id, "abc");
}

TEST_F(ExperimentRegistryTest, UnknownOrEmptyIdIsAnError) {
  ASSERT_TRUE(registry_->Add(Entry("abc12345", 1)).ok());
  EXPECT_EQ(registry_->Get("zzz").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(registry_->Get("").status().code(), StatusCode::kInvalidArgument);
  // No LIKE wildcards, no case folding.
  EXPECT_EQ(registry_->Get("_").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(registry_->Get("%").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(registry_->Get("ABC").status().code(), StatusCode::kNotFound);
}

TEST_F(ExperimentRegistryTest, ListsNewestFirst) {
  ASSERT_TRUE(registry_->Add(Entry("middle00", 20)).ok());
  ASSERT_TRUE(registry_->Add(Entry("oldest00", 10)).ok());
  ASSERT_TRUE(registry_->Add(Entry("newest00", 30)).ok());
  auto list = registry_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].id, "newest00");
  EXPECT_EQ((*list)[1].id, "middle00");
  EXPECT_EQ((*list)[2].id, "oldest00");
}

TEST_F(ExperimentRegistryTest, SettersChangeOneFieldAndTheUpdateTime) {
  ExperimentEntry e = Entry("abc12345", 1);
  ASSERT_TRUE(registry_->Add(e).ok());
  ASSERT_TRUE(registry_->SetStatus("abc12345", "done", 5).ok());
  ASSERT_TRUE(registry_->SetManagerPid("abc12345", 0, 6).ok());
  ASSERT_TRUE(registry_->SetUiPort("abc12345", 0, 7).ok());
  auto got = registry_->Get("abc12345");
  ASSERT_TRUE(got.ok());
  e.status = "done";
  e.manager_pid = 0;
  e.ui_port = 0;
  e.updated = 7;
  ExpectSameEntry(e, *got);
  EXPECT_EQ(registry_->SetStatus("abc", "done", 8).code(), StatusCode::kNotFound);  // exact ids only
  EXPECT_EQ(registry_->SetManagerPid("nope", 1, 8).code(), StatusCode::kNotFound);
  EXPECT_EQ(registry_->SetUiPort("nope", 1, 8).code(), StatusCode::kNotFound);
}

TEST_F(ExperimentRegistryTest, RemoveForgetsTheEntry) {
  ASSERT_TRUE(registry_->Add(Entry("abc12345", 1)).ok());
  ASSERT_TRUE(registry_->Add(Entry("def12345", 2)).ok());
  ASSERT_TRUE(registry_->Remove("abc12345").ok());
  EXPECT_EQ(registry_->Get("abc12345").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(registry_->Remove("abc12345").code(), StatusCode::kNotFound);
  auto list = registry_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().id, "def12345");
}

TEST_F(ExperimentRegistryTest, EntriesPersistAcrossOpens) {
  ASSERT_TRUE(registry_->Add(Entry("abc12345", 1)).ok());
  registry_.reset();
  auto reopened = ExperimentRegistry::Open(home_);
  ASSERT_TRUE(reopened.ok());
  auto got = (*reopened)->Get("abc");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "exp abc12345");
}

TEST(HoneHomeTest, PrefersHoneHomeThenXdgDataHomeThenHome) {
  EXPECT_EQ(HoneHomeFrom("/h", "/xdg", "/home/u"), "/h");
  EXPECT_EQ(HoneHomeFrom(nullptr, "/xdg", "/home/u"), "/xdg/hone");
  EXPECT_EQ(HoneHomeFrom("", "/xdg", "/home/u"), "/xdg/hone");
  EXPECT_EQ(HoneHomeFrom(nullptr, "", "/home/u"), "/home/u/.local/share/hone");
  EXPECT_EQ(HoneHomeFrom(nullptr, nullptr, "/home/u"), "/home/u/.local/share/hone");
  EXPECT_NE(HoneHomeFrom(nullptr, nullptr, nullptr).find(".local/share/hone"), std::string::npos);
}

TEST(HoneHomeTest, ExperimentPathsLiveUnderHome) {
  EXPECT_EQ(ExperimentDir("/h", "abc"), "/h/experiments/abc");
  EXPECT_EQ(ExperimentDbPath("/h", "abc"), "/h/experiments/abc/hone.db");
}

TEST(NewExperimentIdTest, IsEightLowercaseAlphanumericsAndVaries) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    std::string id = NewExperimentId();
    ASSERT_EQ(id.size(), 8u);
    for (char c : id) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 50u);
}

}  // namespace
}  // namespace hone
