#include "compress/zoo/model_zoo.h"

#include <sstream>

#include "compress/model/script_model_torch.h"
#include "compress/zoo/script_layers_torch.h"

namespace hone::compress {
namespace {

using torch::jit::Module;
using namespace layers;

constexpr const char* kPool2 = "[2, 2], [2, 2]";

std::string Dropout(double p) {
  if (p <= 0) return "";
  std::ostringstream s;
  s << "    x = torch.dropout(x, " << p << ", self.training)\n";
  return s.str();
}

std::string Relu6(const std::string& x) { return "torch.hardtanh(" + x + ", 0.0, 6.0)"; }

Status TooSmall(const ZooSpec& spec, const std::string& why) {
  return InvalidArgument(spec.name + ": an input of " + std::to_string(spec.height) + "x" + std::to_string(spec.width) +
                         " is too small (" + why + ")");
}

// The two-layer classifier after the convolutions: registers fc1 (`features` -> `hidden`)
// and fc2 (-> classes) and returns their forward code (flatten, relu, dropout).
std::string ClassifierHead(Module& m, int64_t features, int64_t hidden, const ZooSpec& spec) {
  m.register_module("fc1", Linear("fc1", features, hidden));
  m.register_module("fc2", Linear("fc2", hidden, spec.classes));
  return "    x = torch.flatten(x, 1)\n    x = torch.relu(self.fc1(x))\n" + Dropout(spec.dropout) +
         "    return self.fc2(x)\n";
}

StatusOr<Module> Cnn2(const ZooSpec& spec) {
  const int64_t w = spec.base_width > 0 ? spec.base_width : 32;
  const int64_t depth = spec.depth > 0 ? spec.depth : 2;
  Module m = NewModule("Cnn2", "");
  std::string code = "def forward(self, x):\n";
  int64_t in = spec.channels, h = spec.height, wd = spec.width;
  for (int64_t i = 1; i <= depth; ++i) {
    const int64_t out = w << std::min<int64_t>(i - 1, 3);
    const std::string name = "conv" + std::to_string(i);
    m.register_module(name, Conv2d(name, in, out, 3, 1, 1, 1, true, false));
    if (h >= 2 && wd >= 2) {
      code += "    x = torch.max_pool2d(torch.relu(self." + name + "(x)), " + kPool2 + ")\n";
      h /= 2;
      wd /= 2;
    } else {
      code += "    x = torch.relu(self." + name + "(x))\n";
    }
    in = out;
  }
  Define(m, code + ClassifierHead(m, in * h * wd, 4 * w, spec));
  return m;
}

StatusOr<Module> LeNet5(const ZooSpec& spec) {
  const int64_t pad = spec.height < 32 ? (32 - spec.height + 1) / 2 : 0;
  int64_t h = (OutSize(spec.height, 5, 1, pad) / 2 - 4) / 2;
  int64_t w = (OutSize(spec.width, 5, 1, pad) / 2 - 4) / 2;
  if (h < 1 || w < 1) return TooSmall(spec, "LeNet-5 needs at least 28x28");
  Module m = NewModule("LeNet5", "");
  m.register_module("conv1", Conv2d("conv1", spec.channels, 6, 5, 1, pad, 1, true, false));
  m.register_module("conv2", Conv2d("conv2", 6, 16, 5, 1, 0, 1, true, false));
  m.register_module("fc1", Linear("fc1", 16 * h * w, 120));
  m.register_module("fc2", Linear("fc2", 120, 84));
  m.register_module("fc3", Linear("fc3", 84, spec.classes));
  Define(m, std::string("def forward(self, x):\n") +
           "    x = torch.max_pool2d(torch.relu(self.conv1(x)), " + kPool2 + ")\n" +
           "    x = torch.max_pool2d(torch.relu(self.conv2(x)), " + kPool2 + ")\n" +
           "    x = torch.flatten(x, 1)\n    x = torch.relu(self.fc1(x))\n    x = torch.relu(self.fc2(x))\n" +
           Dropout(spec.dropout) + "    return self.fc3(x)\n");
  return m;
}

StatusOr<Module> VggSmall(const ZooSpec& spec) {
  const int64_t w = spec.base_width > 0 ? spec.base_width : 32;
  int64_t h = spec.height / 8, wd = spec.width / 8;
  if (h < 1 || wd < 1) return TooSmall(spec, "vgg-small pools three times and needs at least 8x8");
  Module m = NewModule("VggSmall", "");
  std::string code = "def forward(self, x):\n";
  const int64_t widths[] = {w, w, 2 * w, 2 * w, 4 * w, 4 * w};
  int64_t in = spec.channels;
  for (int i = 0; i < 6; ++i) {
    const std::string n = std::to_string(i + 1);
    m.register_module("conv" + n, Conv2d("conv" + n, in, widths[i], 3, 1, 1, 1, false, true));
    m.register_module("bn" + n, BatchNorm2d("bn" + n, widths[i]));
    code += "    x = torch.relu(self.bn" + n + "(self.conv" + n + "(x)))\n";
    if (i % 2 == 1) code += std::string("    x = torch.max_pool2d(x, ") + kPool2 + ")\n";
    in = widths[i];
  }
  Define(m, code + ClassifierHead(m, in * h * wd, 8 * w, spec));
  return m;
}

// conv-bn-relu-conv-bn, plus the input (or its 1x1 conv-bn projection when the shape
// changes), then relu.
Module BasicBlock(const std::string& path, int64_t in, int64_t out, int64_t stride) {
  Module b = NewModule("BasicBlock", path);
  b.register_module("conv1", Conv2d(path + ".conv1", in, out, 3, stride, 1, 1, false, true));
  b.register_module("bn1", BatchNorm2d(path + ".bn1", out));
  b.register_module("conv2", Conv2d(path + ".conv2", out, out, 3, 1, 1, 1, false, true));
  b.register_module("bn2", BatchNorm2d(path + ".bn2", out));
  std::string shortcut = "x";
  if (stride != 1 || in != out) {
    b.register_module("shortcut_conv", Conv2d(path + ".shortcut_conv", in, out, 1, stride, 0, 1, false, true));
    b.register_module("shortcut_bn", BatchNorm2d(path + ".shortcut_bn", out));
    shortcut = "self.shortcut_bn(self.shortcut_conv(x))";
  }
  Define(b, 
      "def forward(self, x):\n"
      "    out = torch.relu(self.bn1(self.conv1(x)))\n"
      "    out = self.bn2(self.conv2(out))\n"
      "    return torch.relu(out + " + shortcut + ")\n");
  return b;
}

StatusOr<Module> ResNet20(const ZooSpec& spec) {
  const int64_t w = spec.base_width > 0 ? spec.base_width : 16;
  if (spec.height < 4 || spec.width < 4) return TooSmall(spec, "resnet20 needs at least 4x4");
  Module m = NewModule("ResNet20", "");
  m.register_module("conv1", Conv2d("conv1", spec.channels, w, 3, 1, 1, 1, false, true));
  m.register_module("bn1", BatchNorm2d("bn1", w));
  int64_t in = w;
  for (int stage = 1; stage <= 3; ++stage) {
    const std::string layer = "layer" + std::to_string(stage);
    const int64_t out = w << (stage - 1);
    Module s = NewModule("Stage", layer);
    for (int i = 0; i < 3; ++i) {
      const std::string name = "b" + std::to_string(i);
      s.register_module(name, BasicBlock(layer + "." + name, in, out, i == 0 && stage > 1 ? 2 : 1));
      in = out;
    }
    Define(s, "def forward(self, x):\n    return self.b2(self.b1(self.b0(x)))\n");
    m.register_module(layer, s);
  }
  m.register_module("fc", Linear("fc", in, spec.classes));
  Define(m, 
      "def forward(self, x):\n"
      "    x = torch.relu(self.bn1(self.conv1(x)))\n"
      "    x = self.layer3(self.layer2(self.layer1(x)))\n"
      "    x = torch.flatten(torch.adaptive_avg_pool2d(x, [1, 1]), 1)\n" +
      Dropout(spec.dropout) + "    return self.fc(x)\n");
  return m;
}

// Expand (1x1, unless the ratio is 1), depthwise 3x3, project (1x1, linear); the input
// is added when the shape is unchanged.
Module InvertedResidual(const std::string& path, int64_t in, int64_t out, int64_t stride, int64_t expand) {
  Module b = NewModule("InvertedResidual", path);
  const int64_t hidden = in * expand;
  std::string code = "def forward(self, x):\n";
  std::string y = "x";
  if (expand != 1) {
    b.register_module("expand_conv", Conv2d(path + ".expand_conv", in, hidden, 1, 1, 0, 1, false, true));
    b.register_module("expand_bn", BatchNorm2d(path + ".expand_bn", hidden));
    code += "    y = " + Relu6("self.expand_bn(self.expand_conv(x))") + "\n";
    y = "y";
  }
  b.register_module("dw_conv", Conv2d(path + ".dw_conv", hidden, hidden, 3, stride, 1, hidden, false, true));
  b.register_module("dw_bn", BatchNorm2d(path + ".dw_bn", hidden));
  b.register_module("project_conv", Conv2d(path + ".project_conv", hidden, out, 1, 1, 0, 1, false, true));
  b.register_module("project_bn", BatchNorm2d(path + ".project_bn", out));
  code += "    y = " + Relu6("self.dw_bn(self.dw_conv(" + y + "))") + "\n";
  code += "    y = self.project_bn(self.project_conv(y))\n";
  code += stride == 1 && in == out ? "    return x + y\n" : "    return y\n";
  Define(b, code);
  return b;
}

StatusOr<Module> MobileNetV2Small(const ZooSpec& spec) {
  const int64_t w = spec.base_width > 0 ? spec.base_width : 16;
  if (spec.height < 8 || spec.width < 8) return TooSmall(spec, "mobilenetv2-small needs at least 8x8");
  struct Stage { int64_t expand, out_mult_x2, repeats, stride; };
  // Output widths as multiples of w/2: 16, 24, 32, 64, 96 for w = 16.
  const Stage stages[] = {{1, 2, 1, 1}, {6, 3, 2, 2}, {6, 4, 2, 2}, {6, 8, 2, 2}, {6, 12, 1, 1}};
  Module m = NewModule("MobileNetV2Small", "");
  m.register_module("stem_conv", Conv2d("stem_conv", spec.channels, w, 3, 1, 1, 1, false, true));
  m.register_module("stem_bn", BatchNorm2d("stem_bn", w));
  std::string code = "def forward(self, x):\n    x = " + Relu6("self.stem_bn(self.stem_conv(x))") + "\n";
  int64_t in = w;
  int block = 0;
  for (const Stage& st : stages) {
    const int64_t out = st.out_mult_x2 * w / 2;
    for (int64_t r = 0; r < st.repeats; ++r) {
      const std::string name = "block" + std::to_string(block++);
      m.register_module(name, InvertedResidual(name, in, out, r == 0 ? st.stride : 1, st.expand));
      code += "    x = self." + name + "(x)\n";
      in = out;
    }
  }
  const int64_t last = 16 * w;
  m.register_module("head_conv", Conv2d("head_conv", in, last, 1, 1, 0, 1, false, true));
  m.register_module("head_bn", BatchNorm2d("head_bn", last));
  m.register_module("fc", Linear("fc", last, spec.classes));
  code += "    x = " + Relu6("self.head_bn(self.head_conv(x))") + "\n" +
          "    x = torch.flatten(torch.adaptive_avg_pool2d(x, [1, 1]), 1)\n" + Dropout(spec.dropout) +
          "    return self.fc(x)\n";
  Define(m, code);
  return m;
}

}  // namespace

std::vector<std::string> ZooModelNames() { return {"cnn2", "lenet5", "vgg-small", "resnet20", "mobilenetv2-small"}; }

StatusOr<ScriptModel> BuildZooModel(const ZooSpec& spec) {
  if (spec.channels < 1 || spec.height < 1 || spec.width < 1 || spec.classes < 2) {
    return InvalidArgument(spec.name + ": channels, height and width must be >= 1 and classes >= 2");
  }
  if (spec.dropout < 0 || spec.dropout >= 1) {
    return InvalidArgument("dropout must lie in [0, 1), but got " + std::to_string(spec.dropout));
  }
  try {
    torch::manual_seed(spec.seed);
    StatusOr<Module> m = [&]() -> StatusOr<Module> {
      if (spec.name == "cnn2") return Cnn2(spec);
      if (spec.name == "lenet5") return LeNet5(spec);
      if (spec.name == "vgg-small") return VggSmall(spec);
      if (spec.name == "resnet20") return ResNet20(spec);
      if (spec.name == "mobilenetv2-small") return MobileNetV2Small(spec);
      std::string names;
      for (const std::string& n : ZooModelNames()) names += (names.empty() ? "" : ", ") + n;
      return InvalidArgument("unknown model '" + spec.name + "'; the zoo has " + names);
    }();
    if (!m.ok()) return m.status();
    return WrapModule(std::move(*m));
  } catch (const std::exception& e) {
    return Internal(spec.name + ": building the model failed: " + TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
