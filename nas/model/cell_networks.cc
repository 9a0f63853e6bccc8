#include "nas/model/cell_networks_torch.h"

#include "compress/zoo/script_layers_torch.h"
#include "nas/model/nas_ops_torch.h"

namespace hone::nas {
using torch::jit::Module;
namespace layers = compress::layers;

std::string AddStem(Module& m, const ModelSpace& space, bool relu6) {
  m.register_module("stem", ops::Conv("stem", space.input.channels, space.stem_channels, 3, 1, 1, 1));
  m.register_module("stem_bn", layers::BatchNorm2d("stem_bn", space.stem_channels));
  return relu6 ? "    x = torch.hardtanh(self.stem_bn(self.stem(x)), 0.0, 6.0)\n" : "    x = self.stem_bn(self.stem(x))\n";
}

std::string AddClassifier(Module& m, const ModelSpace& space, int64_t features) {
  m.register_module("classifier", layers::Linear("classifier", features, space.classes));
  return "    x = torch.flatten(torch.adaptive_avg_pool2d(x, [1, 1]), 1)\n    return self.classifier(x)\n";
}

Module Nb201Body(const std::string& kind, const ModelSpace& space, const std::string& extra,
                 const Nb201CellFactory& make_cell) {
  Module m = ops::NewModule(kind, "");
  std::string code = "def forward(self, x" + extra + "):\n" + AddStem(m, space, false);
  int64_t in = space.stem_channels;
  int index = 0;
  for (size_t s = 0; s < space.cell.stages.size(); ++s) {
    const CellStage& stage = space.cell.stages[s];
    if (s > 0) {
      std::string name = "reduce" + std::to_string(s);
      m.register_module(name, ops::ReductionBlock(name, in, stage.channels));
      code += "    x = self." + name + "(x)\n";
    } else if (in != stage.channels) {
      m.register_module("widen", ops::ReluConvBn("widen", in, stage.channels, 1, 1));
      code += "    x = self.widen(x)\n";
    }
    in = stage.channels;
    for (int c = 0; c < stage.cells; ++c, ++index) {
      std::string name = "cell" + std::to_string(index);
      m.register_module(name, make_cell(name, in));
      code += "    x = self." + name + "(x" + extra + ")\n";
    }
  }
  m.register_module("last_bn", layers::BatchNorm2d("last_bn", in));
  code += "    x = torch.relu(self.last_bn(x))\n";
  layers::Define(m, code + AddClassifier(m, space, in));
  return m;
}

Module DartsBody(const std::string& kind, const ModelSpace& space, const std::string& extra,
                 const DartsCellFactory& make_cell) {
  Module m = ops::NewModule(kind, "");
  std::string code = "def forward(self, x" + extra + "):\n" + AddStem(m, space, false) + "    s0 = x\n    s1 = x\n";
  DartsCellShape shape{space.stem_channels, space.stem_channels, 0, false, false};
  int index = 0;
  for (size_t s = 0; s < space.cell.stages.size(); ++s) {
    const CellStage& stage = space.cell.stages[s];
    for (int c = 0; c < stage.cells + (s > 0 ? 1 : 0); ++c, ++index) {
      shape.channels = stage.channels;
      shape.reduction = s > 0 && c == 0;
      std::string name = "cell" + std::to_string(index);
      m.register_module(name, make_cell(name, index, shape));
      code += "    s0, s1 = s1, self." + name + "(s0, s1" + extra + ")\n";
      shape.reduction_prev = shape.reduction;
      shape.prev_prev = shape.prev;
      shape.prev = space.cell.nodes * stage.channels;
    }
  }
  code += "    x = s1\n";
  layers::Define(m, code + AddClassifier(m, space, shape.prev));
  return m;
}

}  // namespace hone::nas
