// Weights put on the grids a quantization config gives each layer (bits, per channel or
// per tensor), round to nearest: the weight side of `hone compress quantize` for ptq,
// dynamic and rtn, where one model mixes grids (int4 convolutions, an int8 classifier).
// Torch-free.
//
//   auto snapped = SnapWeights(folded, {{.layer = "conv1", .spec = WeightSpec(4)},
//                                       {.layer = "fc", .spec = WeightSpec(8), .per_tensor = true}});
//   ConvertToInt8(snapped->model, points, {.weight_grids = snapped->grids});
//
// A per-tensor grid is stored as per-channel grids that share one scale (the largest
// channel's), so the int8 converter takes both alike.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compress/model/script_model.h"
#include "compress/quant/quant_params.h"
#include "compress/quant/weight_quant.h"
#include "core/status.h"

namespace hone::compress {

struct LayerGrid {
  std::string layer;  // module path
  QuantSpec spec = WeightSpec(8);
  bool per_tensor = false;
};

struct SnappedWeights {
  ScriptModel model;                            // a copy; the listed weights on their grids
  std::map<std::string, ChannelParams> grids;   // per listed layer
  std::vector<LayerWeightError> layers;         // in the order listed
};

// Errors: an invalid spec, a layer without a weight of rank >= 2.
StatusOr<SnappedWeights> SnapWeights(const ScriptModel& model, const std::vector<LayerGrid>& layers);

}  // namespace hone::compress
