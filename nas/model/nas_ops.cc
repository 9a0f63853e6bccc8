#include "nas/model/nas_ops_torch.h"

#include <cctype>
#include <cmath>

#include "compress/zoo/script_layers_torch.h"

namespace hone::nas::ops {
namespace {

using torch::jit::Module;
namespace layers = compress::layers;

std::string ClassSuffix(const std::string& path) {
  std::string s = path;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

std::string Pair(int64_t v) { return "[" + std::to_string(v) + ", " + std::to_string(v) + "]"; }

// relu -> depthwise kxk (stride, dilation) -> 1x1 -> bn, registered under `prefix`.
std::string DepthwiseSeparable(Module& m, const std::string& path, const std::string& prefix, int64_t c_in,
                               int64_t c_out, int64_t kernel, int64_t stride, int64_t dilation,
                               const std::string& x) {
  m.register_module(prefix + "dw", Conv(path + "." + prefix + "dw", c_in, c_in, kernel, stride, dilation, c_in));
  m.register_module(prefix + "pw", Conv(path + "." + prefix + "pw", c_in, c_out, 1, 1, 1, 1));
  m.register_module(prefix + "bn", layers::BatchNorm2d(path + "." + prefix + "bn", c_out));
  return "self." + prefix + "bn(self." + prefix + "pw(self." + prefix + "dw(torch.relu(" + x + "))))";
}

Module SepConv(const std::string& path, int64_t c, int64_t kernel, int64_t stride) {
  Module m = NewModule("SepConv", path);
  std::string first = DepthwiseSeparable(m, path, "a_", c, c, kernel, stride, 1, "x");
  std::string second = DepthwiseSeparable(m, path, "b_", c, c, kernel, 1, 1, "y");
  layers::Define(m, "def forward(self, x):\n    y = " + first + "\n    return " + second + "\n");
  return m;
}

Module DilConv(const std::string& path, int64_t c, int64_t kernel, int64_t stride) {
  Module m = NewModule("DilConv", path);
  std::string body = DepthwiseSeparable(m, path, "", c, c, kernel, stride, 2, "x");
  layers::Define(m, "def forward(self, x):\n    return " + body + "\n");
  return m;
}

Module Pool(const std::string& path, bool average, int64_t stride) {
  Module m = NewModule(average ? "AvgPool" : "MaxPool", path);
  std::string s = Pair(stride);
  m.define(average ? "def forward(self, x):\n    return torch.avg_pool2d(x, [3, 3], " + s + ", [1, 1], False, False)\n"
                   : "def forward(self, x):\n    return torch.max_pool2d(x, [3, 3], " + s + ", [1, 1])\n");
  return m;
}

Module Simple(const std::string& kind, const std::string& path, const std::string& body) {
  Module m = NewModule(kind, path);
  m.define("def forward(self, x):\n    return " + body + "\n");
  return m;
}

}  // namespace

Module NewModule(const std::string& kind, const std::string& path) {
  Module m{c10::QualifiedName("__torch__.hone.nas." + kind + (path.empty() ? "" : "_" + ClassSuffix(path)))};
  m.register_attribute("training", c10::BoolType::get(), true);
  return m;
}

Module Conv(const std::string& path, int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t dilation,
            int64_t groups) {
  Module m = NewModule("Conv2d", path);
  const double std = std::sqrt(2.0 / static_cast<double>(out / groups * kernel * kernel));
  m.register_parameter("weight", (torch::randn({out, in / groups, kernel, kernel}) * std).requires_grad_(true), false);
  const int64_t padding = dilation * (kernel - 1) / 2;
  m.define("def forward(self, x):\n    return torch.conv2d(x, self.weight, None, " + Pair(stride) + ", " + Pair(padding) +
           ", " + Pair(dilation) + ", " + std::to_string(groups) + ")\n");
  return m;
}

Module ReluConvBn(const std::string& path, int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  Module m = NewModule("ReluConvBn", path);
  m.register_module("conv", Conv(path + ".conv", in, out, kernel, stride, 1, 1));
  m.register_module("bn", layers::BatchNorm2d(path + ".bn", out));
  layers::Define(m, "def forward(self, x):\n    return self.bn(self.conv(torch.relu(x)))\n");
  return m;
}

Module FactorizedReduce(const std::string& path, int64_t in, int64_t out) {
  Module m = NewModule("FactorizedReduce", path);
  m.register_module("conv1", Conv(path + ".conv1", in, out / 2, 1, 2, 1, 1));
  m.register_module("conv2", Conv(path + ".conv2", in, out - out / 2, 1, 2, 1, 1));
  m.register_module("bn", layers::BatchNorm2d(path + ".bn", out));
  layers::Define(m,
                 "def forward(self, x):\n"
                 "    x = torch.relu(x)\n"
                 "    shifted = torch.constant_pad_nd(x, [0, 1, 0, 1], 0.0)[:, :, 1:, 1:]\n"
                 "    return self.bn(torch.cat([self.conv1(x), self.conv2(shifted)], 1))\n");
  return m;
}

Module EdgeOp(const std::string& path, Operation op, int64_t c, int64_t stride) {
  switch (op) {
    case Operation::kNone:
      return Simple("Zero", path, stride == 1 ? "x * 0.0" : "x[:, :, ::2, ::2] * 0.0");
    case Operation::kSkip:
      return stride == 1 ? Simple("Identity", path, "x") : FactorizedReduce(path, c, c);
    case Operation::kConv1x1:
      return ReluConvBn(path, c, c, 1, stride);
    case Operation::kConv3x3:
      return ReluConvBn(path, c, c, 3, stride);
    case Operation::kConv5x5:
      return ReluConvBn(path, c, c, 5, stride);
    case Operation::kSepConv3x3:
      return SepConv(path, c, 3, stride);
    case Operation::kSepConv5x5:
      return SepConv(path, c, 5, stride);
    case Operation::kDilConv3x3:
      return DilConv(path, c, 3, stride);
    case Operation::kDilConv5x5:
      return DilConv(path, c, 5, stride);
    case Operation::kAvgPool3x3:
      return Pool(path, true, stride);
    case Operation::kMaxPool3x3:
      return Pool(path, false, stride);
  }
  return Simple("Identity", path, "x");
}

Module ReductionBlock(const std::string& path, int64_t in, int64_t out) {
  Module m = NewModule("ReductionBlock", path);
  m.register_module("conv_a", ReluConvBn(path + ".conv_a", in, out, 3, 2));
  m.register_module("conv_b", ReluConvBn(path + ".conv_b", out, out, 3, 1));
  m.register_module("down", Conv(path + ".down", in, out, 1, 1, 1, 1));
  layers::Define(m,
                 "def forward(self, x):\n"
                 "    shortcut = self.down(torch.avg_pool2d(x, [2, 2], [2, 2], [0, 0], True, False))\n"
                 "    return self.conv_b(self.conv_a(x)) + shortcut\n");
  return m;
}

Module InvertedResidual(const std::string& path, int64_t in, int64_t out, int64_t kernel, int64_t expansion,
                        int64_t stride) {
  Module m = NewModule("InvertedResidual", path);
  const int64_t hidden = in * expansion;
  std::string code = "def forward(self, x):\n    y = x\n";
  if (expansion != 1) {
    m.register_module("expand", Conv(path + ".expand", in, hidden, 1, 1, 1, 1));
    m.register_module("expand_bn", layers::BatchNorm2d(path + ".expand_bn", hidden));
    code += "    y = torch.hardtanh(self.expand_bn(self.expand(y)), 0.0, 6.0)\n";
  }
  m.register_module("dw", Conv(path + ".dw", hidden, hidden, kernel, stride, 1, hidden));
  m.register_module("dw_bn", layers::BatchNorm2d(path + ".dw_bn", hidden));
  m.register_module("project", Conv(path + ".project", hidden, out, 1, 1, 1, 1));
  m.register_module("project_bn", layers::BatchNorm2d(path + ".project_bn", out));
  code += "    y = torch.hardtanh(self.dw_bn(self.dw(y)), 0.0, 6.0)\n    y = self.project_bn(self.project(y))\n";
  code += stride == 1 && in == out ? "    return x + y\n" : "    return y\n";
  layers::Define(m, code);
  return m;
}

}  // namespace hone::nas::ops
