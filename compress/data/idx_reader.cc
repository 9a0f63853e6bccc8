#include "compress/data/idx_reader.h"

#include <zlib.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace hone::compress {
namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

// Reads a whole IDX file of unsigned bytes: its dimensions and its data.
struct IdxFile {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;
};

Status ReadExact(gzFile f, void* buf, size_t n, const std::string& path, const char* what) {
  size_t done = 0;
  auto* out = static_cast<uint8_t*>(buf);
  while (done < n) {
    unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
    int got = gzread(f, out + done, chunk);
    if (got < 0) {
      int errnum = 0;
      const char* msg = gzerror(f, &errnum);
      return IoError(path + ": cannot read " + what + ": " + (msg ? msg : "zlib error"));
    }
    if (got == 0) {
      return InvalidArgument(path + ": truncated: the " + std::string(what) + " needs " + std::to_string(n) +
                             " bytes, but the file ends after " + std::to_string(done));
    }
    done += static_cast<size_t>(got);
  }
  return Status::Ok();
}

uint32_t BigEndian32(const uint8_t* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

StatusOr<IdxFile> ReadIdx(const std::string& path, size_t expected_dims) {
  GzFile f(gzopen(path.c_str(), "rb"));
  if (!f) return NotFound(path + ": cannot open the IDX file");
  uint8_t magic[4];
  HONE_RETURN_IF_ERROR(ReadExact(f.get(), magic, 4, path, "header"));
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08) {
    return InvalidArgument(path + ": not an IDX file of unsigned bytes (magic must be 00 00 08 xx)");
  }
  if (magic[3] != expected_dims) {
    return InvalidArgument(path + ": expected " + std::to_string(expected_dims) + " dimensions, but got " +
                           std::to_string(magic[3]));
  }
  IdxFile idx;
  size_t total = 1;
  for (size_t i = 0; i < expected_dims; ++i) {
    uint8_t b[4];
    HONE_RETURN_IF_ERROR(ReadExact(f.get(), b, 4, path, "header"));
    idx.dims.push_back(BigEndian32(b));
    total *= idx.dims.back();
  }
  if (total > (size_t{1} << 34)) return InvalidArgument(path + ": implausibly large dimensions");
  idx.data.resize(total);
  HONE_RETURN_IF_ERROR(ReadExact(f.get(), idx.data.data(), total, path, "data"));
  return idx;
}

}  // namespace

StatusOr<ImageSet> ReadIdxPair(const std::string& images_path, const std::string& labels_path) {
  auto images = ReadIdx(images_path, 3);
  if (!images.ok()) return images.status();
  auto labels = ReadIdx(labels_path, 1);
  if (!labels.ok()) return labels.status();
  if (images->dims[0] != labels->dims[0]) {
    return InvalidArgument(images_path + " holds " + std::to_string(images->dims[0]) + " images, but " +
                           labels_path + " holds " + std::to_string(labels->dims[0]) + " labels");
  }
  ImageSet set;
  set.count = images->dims[0];
  set.channels = 1;
  set.height = images->dims[1];
  set.width = images->dims[2];
  set.num_classes = 10;
  set.pixels = std::move(images->data);
  set.labels = std::move(labels->data);
  for (size_t i = 0; i < set.labels.size(); ++i) {
    if (set.labels[i] >= set.num_classes) {
      return InvalidArgument(labels_path + ": label " + std::to_string(i) + " is " + std::to_string(set.labels[i]) +
                             ", but labels must lie in [0, 10)");
    }
  }
  return set;
}

}  // namespace hone::compress
