#include "compress/data/cifar10_reader.h"

#include <fstream>
#include <iterator>

namespace hone::compress {
namespace {

constexpr int64_t kSide = 32;
constexpr int64_t kImageBytes = 3 * kSide * kSide;
constexpr int64_t kRecordBytes = 1 + kImageBytes;

}  // namespace

StatusOr<ImageSet> ReadCifar10Files(const std::vector<std::string>& paths) {
  ImageSet set;
  set.channels = 3;
  set.height = kSide;
  set.width = kSide;
  set.num_classes = 10;
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return NotFound(path + ": cannot open the CIFAR-10 batch file");
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.empty() || bytes.size() % kRecordBytes != 0) {
      return InvalidArgument(path + ": a CIFAR-10 batch file must be a whole number of " +
                             std::to_string(kRecordBytes) + "-byte records, but it has " +
                             std::to_string(bytes.size()) + " bytes");
    }
    const int64_t records = static_cast<int64_t>(bytes.size()) / kRecordBytes;
    set.pixels.reserve(static_cast<size_t>((set.count + records) * kImageBytes));
    for (int64_t r = 0; r < records; ++r) {
      const auto* rec = reinterpret_cast<const uint8_t*>(bytes.data()) + r * kRecordBytes;
      if (rec[0] >= 10) {
        return InvalidArgument(path + ": record " + std::to_string(r) + " has label " + std::to_string(rec[0]) +
                               ", but labels must lie in [0, 10)");
      }
      set.labels.push_back(rec[0]);
      set.pixels.insert(set.pixels.end(), rec + 1, rec + kRecordBytes);
    }
    set.count += records;
  }
  return set;
}

StatusOr<ImageSet> ReadCifar10Split(const std::string& dir, bool train) {
  std::vector<std::string> paths;
  if (train) {
    for (int i = 1; i <= 5; ++i) paths.push_back(dir + "/data_batch_" + std::to_string(i) + ".bin");
  } else {
    paths.push_back(dir + "/test_batch.bin");
  }
  return ReadCifar10Files(paths);
}

}  // namespace hone::compress
