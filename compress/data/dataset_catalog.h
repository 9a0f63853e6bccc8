// Named data sets for `hone compress` and trials: "fashion-mnist" (Debian's
// dataset-fashion-mnist, /usr/share/datasets/fashion-mnist), "mnist:DIR" and
// "cifar10:DIR"; "NAME:DIR" reads NAME from another folder.
//
//   auto train = LoadDataset("fashion-mnist", Split::kTrain);   // 60000 x 1 x 28 x 28
//   auto test = LoadDataset("cifar10:/data/cifar-10-batches-bin", Split::kTest);
#pragma once

#include <string>

#include "compress/data/image_set.h"
#include "core/status.h"

namespace hone::compress {

enum class Split { kTrain, kTest };

struct DatasetSpec {
  std::string name;  // fashion-mnist | mnist | cifar10
  std::string dir;   // folder holding the files
};

// Parses "NAME" or "NAME:DIR". Unknown names and names without a default folder
// (mnist, cifar10) given without DIR are InvalidArgument errors listing the choices.
StatusOr<DatasetSpec> ParseDatasetSpec(const std::string& text);

StatusOr<ImageSet> LoadDataset(const DatasetSpec& spec, Split split);
StatusOr<ImageSet> LoadDataset(const std::string& text, Split split);

// The normalisation hone uses for a named data set (fixed values, so that a model trained
// by one command is evaluated the same way by another).
Normalization DatasetNormalization(const std::string& name, int64_t channels);

}  // namespace hone::compress
