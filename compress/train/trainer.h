// Training and evaluation of a ScriptModel on an in-memory ImageSet: SGD (momentum,
// Nesterov) or Adam/AdamW, a cosine or constant learning-rate schedule, cross-entropy loss,
// deterministic from `seed`, and libtorch's intra-op threads set explicitly.
// Torch-free: trials and the CLI include this header without libtorch's.
//
//   TrainOptions opt;
//   opt.optimizer = "adam"; opt.lr = 1e-3; opt.epochs = 3;
//   auto report = Train(model, train_set, &test_set, norm, opt,
//                       [](const EpochStats& s) { ReportIntermediate(s.test_accuracy); });
//
// Thread safety: one call at a time per model; libtorch's thread count is process-wide.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "compress/data/image_set.h"
#include "compress/model/script_model.h"
#include "core/status.h"

namespace hone::compress {

struct TrainOptions {
  std::string optimizer = "sgd";  // sgd | adam | adamw
  double lr = 0.05;
  double momentum = 0.9;          // sgd only
  bool nesterov = false;          // sgd only
  double weight_decay = 5e-4;
  std::string schedule = "cosine";  // cosine (per batch, to 0 at the last batch) | constant
  int epochs = 1;
  int64_t batch_size = 128;
  int64_t eval_batch_size = 500;
  int threads = 0;                // libtorch intra-op threads; <= 0: one per core
  // cpu | cuda | auto (cuda when this libtorch was built with CUDA and sees a GPU). The
  // model trains there and comes back to the CPU at the end; the hooks below run while it
  // is there.
  std::string device = "cpu";
  // Augmentation of training batches (torchvision's RandomCrop(padding) and
  // RandomHorizontalFlip): a random crop of each image padded with `crop_padding` black
  // pixels (0: none), and a left-right mirror with probability 1/2 when `flip`.
  int crop_padding = 0;
  bool flip = false;
  uint64_t seed = 0;              // shuffling, dropout, augmentation and any other randomness
  std::FILE* progress = nullptr;  // a progress bar and one line per epoch go here
  // Per-batch hooks: after the backward pass, before the optimizer step (a penalty's
  // subgradient added to the gradients), and after the step (pruning masks re-applied).
  std::function<void()> after_backward;
  std::function<void()> after_step;
};

struct EvalStats {
  double loss = 0;      // mean cross-entropy
  double accuracy = 0;  // in [0, 1]
  int64_t count = 0;
  double seconds = 0;
};

struct EpochStats {
  int epoch = 0;        // 1-based
  double lr = 0;        // at the end of the epoch
  double train_loss = 0;
  double train_accuracy = 0;
  EvalStats test;       // zero when no test set was given
  double seconds = 0;   // training time of this epoch, evaluation excluded
};

using EpochCallback = std::function<void(const EpochStats&)>;

// Checks the options; an error names the option and the value.
Status ValidateTrainOptions(const TrainOptions& options);

// Trains `model` in place for options.epochs epochs over `train` (shuffled each epoch),
// evaluates on `test` after every epoch when it is not null, calls `on_epoch` after each,
// and leaves the model in eval mode. Errors: invalid options, images whose shape the
// model does not accept, a loss that becomes NaN.
StatusOr<std::vector<EpochStats>> Train(ScriptModel& model, const ImageSet& train, const ImageSet* test,
                                        const Normalization& norm, const TrainOptions& options,
                                        const EpochCallback& on_epoch = {});

// Loss and accuracy of `model` (in eval mode) on `data`, computed on `device` (as in
// TrainOptions; the model stays on the CPU afterwards).
StatusOr<EvalStats> Evaluate(ScriptModel& model, const ImageSet& data, const Normalization& norm,
                             int64_t batch_size = 500, int threads = 0, const std::string& device = "cpu");

// Whether `device` (cpu | cuda | auto) can be used here; errors name the reason (an
// unknown name; cuda asked for where libtorch has no CUDA or sees no GPU).
Status CheckDevice(const std::string& device);

}  // namespace hone::compress
