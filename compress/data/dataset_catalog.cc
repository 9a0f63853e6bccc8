#include "compress/data/dataset_catalog.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "compress/data/cifar10_reader.h"
#include "compress/data/idx_reader.h"

namespace hone::compress {
namespace {

constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// IDX files appear as NAME.gz (Debian, Zalando's release) or NAME (unpacked).
std::string IdxPath(const std::string& dir, const std::string& name) {
  std::string gz = dir + "/" + name + ".gz";
  std::error_code ec;
  if (std::filesystem::exists(gz, ec)) return gz;
  return dir + "/" + name;
}

}  // namespace

StatusOr<DatasetSpec> ParseDatasetSpec(const std::string& text) {
  DatasetSpec spec;
  size_t colon = text.find(':');
  spec.name = Lower(text.substr(0, colon));
  if (colon != std::string::npos) spec.dir = text.substr(colon + 1);
  if (spec.name == "fashion-mnist" || spec.name == "fashion_mnist" || spec.name == "fashionmnist") {
    spec.name = "fashion-mnist";
    if (spec.dir.empty()) spec.dir = kFashionMnistDir;
  } else if (spec.name == "mnist" || spec.name == "cifar10" || spec.name == "cifar-10") {
    if (spec.name == "cifar-10") spec.name = "cifar10";
    if (spec.dir.empty()) {
      return InvalidArgument("data set '" + text + "' needs its folder: write " + spec.name + ":DIR");
    }
  } else {
    return InvalidArgument("unknown data set '" + text + "'; choose fashion-mnist[:DIR], mnist:DIR or cifar10:DIR");
  }
  return spec;
}

StatusOr<ImageSet> LoadDataset(const DatasetSpec& spec, Split split) {
  const bool train = split == Split::kTrain;
  if (spec.name == "cifar10") return ReadCifar10Split(spec.dir, train);
  const std::string prefix = train ? "train" : "t10k";
  return ReadIdxPair(IdxPath(spec.dir, prefix + "-images-idx3-ubyte"), IdxPath(spec.dir, prefix + "-labels-idx1-ubyte"));
}

StatusOr<ImageSet> LoadDataset(const std::string& text, Split split) {
  auto spec = ParseDatasetSpec(text);
  if (!spec.ok()) return spec.status();
  return LoadDataset(*spec, split);
}

Normalization DatasetNormalization(const std::string& name, int64_t channels) {
  if (name == "fashion-mnist") return {{0.2860f}, {0.3530f}};
  if (name == "mnist") return {{0.1307f}, {0.3081f}};
  if (name == "cifar10") return {{0.4914f, 0.4822f, 0.4465f}, {0.2470f, 0.2435f, 0.2616f}};
  return {std::vector<float>(static_cast<size_t>(channels), 0.5f), std::vector<float>(static_cast<size_t>(channels), 0.5f)};
}

}  // namespace hone::compress
