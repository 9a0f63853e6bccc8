// Readers for the IDX format of MNIST and Fashion-MNIST (gzip-compressed or plain; zlib
// reads both). An IDX file starts with a big-endian magic (0x0000 08 <ndims>) and one
// big-endian uint32 per dimension, then the unsigned bytes.
#pragma once

#include <string>

#include "compress/data/image_set.h"
#include "core/status.h"

namespace hone::compress {

// Reads an images file (3 dimensions: N x H x W) and its labels file (1 dimension: N)
// into a one-channel ImageSet with 10 classes. Errors name the file and what is wrong
// (missing, bad magic, truncated, counts that differ, a label out of range).
StatusOr<ImageSet> ReadIdxPair(const std::string& images_path, const std::string& labels_path);

}  // namespace hone::compress
