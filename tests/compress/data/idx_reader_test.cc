#include "compress/data/idx_reader.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "../compress_test_util.h"
#include "compress/data/dataset_catalog.h"

namespace hone::compress {
namespace {

namespace fs = std::filesystem;

class IdxReaderTest : public ::testing::Test {
 protected:
  testing::ScratchDir scratch_{"idx_test"};
  const fs::path& dir_ = scratch_.path();

  static std::string Header(uint8_t dims, std::vector<uint32_t> sizes) {
    std::string h = {0, 0, 8, static_cast<char>(dims)};
    for (uint32_t s : sizes) {
      h += static_cast<char>(s >> 24);
      h += static_cast<char>(s >> 16);
      h += static_cast<char>(s >> 8);
      h += static_cast<char>(s);
    }
    return h;
  }
  std::string WriteGz(const std::string& name, const std::string& bytes) {
    std::string path = (dir_ / name).string();
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
    return path;
  }
  std::string WritePlain(const std::string& name, const std::string& bytes) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

};

TEST_F(IdxReaderTest, ReadsGzippedImagesAndLabels) {
  // Three 2x3 images whose pixels count up, labels 7, 0, 9.
  std::string pixels;
  for (int i = 0; i < 18; ++i) pixels += static_cast<char>(i * 10);
  auto images = WriteGz("img.gz", Header(3, {3, 2, 3}) + pixels);
  auto labels = WriteGz("lab.gz", Header(1, {3}) + std::string{7, 0, 9});
  auto set = ReadIdxPair(images, labels);
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set->count, 3);
  EXPECT_EQ(set->channels, 1);
  EXPECT_EQ(set->height, 2);
  EXPECT_EQ(set->width, 3);
  EXPECT_EQ(set->num_classes, 10);
  EXPECT_EQ(set->labels, (std::vector<uint8_t>{7, 0, 9}));
  ASSERT_EQ(set->pixels.size(), 18u);
  EXPECT_EQ(set->pixels[0], 0);
  EXPECT_EQ(set->pixels[17], 170);
}

TEST_F(IdxReaderTest, ReadsUncompressedFiles) {
  auto images = WritePlain("img", Header(3, {1, 1, 2}) + std::string{1, 2});
  auto labels = WritePlain("lab", Header(1, {1}) + std::string{4});
  auto set = ReadIdxPair(images, labels);
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set->pixels, (std::vector<uint8_t>{1, 2}));
  EXPECT_EQ(set->labels, (std::vector<uint8_t>{4}));
}

TEST_F(IdxReaderTest, RejectsTruncatedData) {
  auto images = WriteGz("img.gz", Header(3, {2, 2, 2}) + std::string(5, '\1'));
  auto labels = WriteGz("lab.gz", Header(1, {2}) + std::string{1, 2});
  auto set = ReadIdxPair(images, labels);
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("truncated"), std::string::npos) << set.status().message();
}

TEST_F(IdxReaderTest, RejectsBadMagicWrongDimsCountMismatchAndBadLabels) {
  auto good_images = WriteGz("img.gz", Header(3, {2, 1, 1}) + std::string{1, 2});
  auto bad_magic = WriteGz("bad.gz", std::string{0, 0, 9, 3} + std::string(20, '\0'));
  EXPECT_NE(ReadIdxPair(bad_magic, good_images).status().message().find("magic"), std::string::npos);
  auto labels_as_images = WriteGz("lab3.gz", Header(1, {2}) + std::string{1, 2});
  EXPECT_NE(ReadIdxPair(labels_as_images, labels_as_images).status().message().find("expected 3 dimensions"),
            std::string::npos);
  auto three_labels = WriteGz("lab.gz", Header(1, {3}) + std::string{1, 2, 3});
  EXPECT_NE(ReadIdxPair(good_images, three_labels).status().message().find("holds 2 images"), std::string::npos);
  auto big_label = WriteGz("big.gz", Header(1, {2}) + std::string{1, 12});
  EXPECT_NE(ReadIdxPair(good_images, big_label).status().message().find("label 1 is 12"), std::string::npos);
  auto missing = ReadIdxPair((dir_ / "none.gz").string(), three_labels);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(FashionMnistTest, ReadsDebianFashionMnist) {
  if (!fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  auto train = LoadDataset("fashion-mnist", Split::kTrain);
  ASSERT_TRUE(train.ok()) << train.status().message();
  EXPECT_EQ(train->count, 60000);
  EXPECT_EQ(train->height, 28);
  EXPECT_EQ(train->width, 28);
  EXPECT_EQ(std::vector<uint8_t>(train->labels.begin(), train->labels.begin() + 6),
            (std::vector<uint8_t>{9, 0, 0, 3, 0, 2}));
  std::vector<int> per_class(10);
  for (uint8_t l : train->labels) ++per_class[l];
  EXPECT_EQ(per_class, std::vector<int>(10, 6000));
  Normalization norm = ComputeNormalization(*train);
  EXPECT_NEAR(norm.mean[0], 0.2860, 1e-3);
  EXPECT_NEAR(norm.std[0], 0.3530, 1e-3);

  auto test = LoadDataset("fashion-mnist", Split::kTest);
  ASSERT_TRUE(test.ok()) << test.status().message();
  EXPECT_EQ(test->count, 10000);
  EXPECT_EQ(test->labels[0], 9);
  TruncateImageSet(*test, 300);
  EXPECT_EQ(test->count, 300);
  EXPECT_EQ(test->pixels.size(), 300u * 784u);
}

}  // namespace
}  // namespace hone::compress
