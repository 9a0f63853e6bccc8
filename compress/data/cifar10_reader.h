// Reader for the CIFAR-10 binary format: records of 1 label byte followed by 3072 pixel
// bytes (the red, green and blue 32x32 planes). Train: data_batch_1..5.bin; test:
// test_batch.bin (the layout of cifar-10-batches-bin/).
#pragma once

#include <string>
#include <vector>

#include "compress/data/image_set.h"
#include "core/status.h"

namespace hone::compress {

// Reads and concatenates the given batch files into a 3x32x32 ImageSet with 10 classes.
StatusOr<ImageSet> ReadCifar10Files(const std::vector<std::string>& paths);

// The train (data_batch_1..5.bin) or test (test_batch.bin) split of a CIFAR-10 folder.
StatusOr<ImageSet> ReadCifar10Split(const std::string& dir, bool train);

}  // namespace hone::compress
