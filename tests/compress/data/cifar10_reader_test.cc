#include "compress/data/cifar10_reader.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "../compress_test_util.h"
#include "compress/data/dataset_catalog.h"

namespace hone::compress {
namespace {

namespace fs = std::filesystem;

// Writes `n` records: label i % 10, every pixel of record i equal to i, except the first
// byte of the green plane, which is 200.
void WriteBatch(const fs::path& path, int first, int n) {
  std::ofstream out(path, std::ios::binary);
  for (int i = first; i < first + n; ++i) {
    std::string rec(3073, static_cast<char>(i));
    rec[0] = static_cast<char>(i % 10);
    rec[1 + 1024] = static_cast<char>(200);
    out << rec;
  }
}

class Cifar10ReaderTest : public ::testing::Test {
 protected:
  testing::ScratchDir scratch_{"cifar_test"};
  const fs::path& dir_ = scratch_.path();
};

TEST_F(Cifar10ReaderTest, ReadsTrainAndTestSplits) {
  for (int b = 1; b <= 5; ++b) WriteBatch(dir_ / ("data_batch_" + std::to_string(b) + ".bin"), (b - 1) * 3, 3);
  WriteBatch(dir_ / "test_batch.bin", 100, 4);
  auto train = LoadDataset("cifar10:" + dir_.string(), Split::kTrain);
  ASSERT_TRUE(train.ok()) << train.status().message();
  EXPECT_EQ(train->count, 15);
  EXPECT_EQ(train->channels, 3);
  EXPECT_EQ(train->height, 32);
  EXPECT_EQ(train->width, 32);
  EXPECT_EQ(train->labels[14], 4);
  EXPECT_EQ(train->pixels[14 * 3072], 14);             // red plane of record 14
  EXPECT_EQ(train->pixels[14 * 3072 + 1024], 200);    // first green byte
  EXPECT_EQ(train->pixels[14 * 3072 + 1025], 14);
  auto test = LoadDataset("cifar10:" + dir_.string(), Split::kTest);
  ASSERT_TRUE(test.ok()) << test.status().message();
  EXPECT_EQ(test->count, 4);
  EXPECT_EQ(test->labels, (std::vector<uint8_t>{0, 1, 2, 3}));
}

TEST_F(Cifar10ReaderTest, RejectsPartialRecordsBadLabelsAndMissingFiles) {
  std::ofstream(dir_ / "short.bin", std::ios::binary) << std::string(3000, '\0');
  auto partial = ReadCifar10Files({(dir_ / "short.bin").string()});
  ASSERT_FALSE(partial.ok());
  EXPECT_NE(partial.status().message().find("3073-byte records"), std::string::npos);
  std::string rec(3073, '\0');
  rec[0] = 10;
  std::ofstream(dir_ / "label.bin", std::ios::binary) << rec;
  auto bad = ReadCifar10Files({(dir_ / "label.bin").string()});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("label 10"), std::string::npos);
  EXPECT_EQ(ReadCifar10Split(dir_.string(), true).status().code(), StatusCode::kNotFound);
}

TEST(DatasetCatalogTest, ParsesNamesAndFolders) {
  auto fm = ParseDatasetSpec("Fashion-MNIST");
  ASSERT_TRUE(fm.ok());
  EXPECT_EQ(fm->name, "fashion-mnist");
  EXPECT_EQ(fm->dir, "/usr/share/datasets/fashion-mnist");
  auto mnist = ParseDatasetSpec("mnist:/data/mnist");
  ASSERT_TRUE(mnist.ok());
  EXPECT_EQ(mnist->dir, "/data/mnist");
  EXPECT_NE(ParseDatasetSpec("cifar10").status().message().find("cifar10:DIR"), std::string::npos);
  auto unknown = ParseDatasetSpec("imagenet");
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("fashion-mnist"), std::string::npos);
  EXPECT_EQ(DatasetNormalization("cifar10", 3).mean.size(), 3u);
}

}  // namespace
}  // namespace hone::compress
