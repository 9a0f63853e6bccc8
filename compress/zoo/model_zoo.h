// hone's built-in models, emitted as TorchScript from C++ (parameters registered on
// script modules whose forward is defined from TorchScript source), so that they save,
// load in Python with torch.jit.load, and enter the compression pipeline like any user
// model. Each model is sized by the input shape and the number of classes.
//
//   cnn2               conv(w)-relu-pool, conv(2w)-relu-pool, fc(4w), fc(classes); depth adds convs
//   lenet5             LeCun's LeNet-5 with ReLU and max pooling
//   vgg-small          6 conv-bn-relu layers (w, w, 2w, 2w, 4w, 4w) in 3 pooled stages, fc(8w), fc
//   resnet20           He et al.'s CIFAR ResNet-20 (3 stages x 3 basic blocks, BN, residual adds)
//   mobilenetv2-small  MobileNetV2 for small images (depthwise convs, inverted residuals)
//
//   ZooSpec spec{.name = "resnet20", .channels = 3, .height = 32, .width = 32, .classes = 10};
//   StatusOr<ScriptModel> model = BuildZooModel(spec);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compress/model/script_model.h"
#include "core/status.h"

namespace hone::compress {

struct ZooSpec {
  std::string name;
  int64_t channels = 1;
  int64_t height = 28;
  int64_t width = 28;
  int64_t classes = 10;
  int64_t base_width = 0;  // channels of the first layer; 0: the model's default
  int64_t depth = 0;       // cnn2: conv stages (default 2); other models ignore it
  double dropout = 0.0;    // before the last linear layer
  uint64_t seed = 0;       // weight initialisation
};

std::vector<std::string> ZooModelNames();

// Errors: an unknown name (listing the names), sizes that are not positive, an input too
// small for the model's pooling.
StatusOr<ScriptModel> BuildZooModel(const ZooSpec& spec);

}  // namespace hone::compress
