#include "compress/zoo/script_layers_torch.h"

#include <cmath>
#include <regex>

namespace hone::compress::layers {
namespace {

std::string ClassSuffix(const std::string& path) {
  std::string s = path;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

at::Tensor Uniform(std::vector<int64_t> shape, double bound) {
  return torch::empty(shape).uniform_(-bound, bound);
}

}  // namespace

void Define(torch::jit::Module& m, const std::string& code) {
  static const std::regex kCall(R"(self\.([A-Za-z_][A-Za-z0-9_]*)\()");
  m.define(std::regex_replace(code, kCall, "self.$1.forward("));
}

torch::jit::Module NewModule(const std::string& kind, const std::string& path) {
  std::string name = "__torch__.hone.zoo." + kind + (path.empty() ? "" : "_" + ClassSuffix(path));
  torch::jit::Module m{c10::QualifiedName(name)};
  m.register_attribute("training", c10::BoolType::get(), true);
  return m;
}

torch::jit::Module Conv2d(const std::string& path, int64_t in, int64_t out, int64_t kernel, int64_t stride,
                          int64_t padding, int64_t groups, bool bias, bool kaiming) {
  torch::jit::Module m = NewModule("Conv2d", path);
  const int64_t fan_in = in / groups * kernel * kernel;
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  at::Tensor w = kaiming ? torch::randn({out, in / groups, kernel, kernel}) *
                               std::sqrt(2.0 / static_cast<double>(out * kernel * kernel))
                         : Uniform({out, in / groups, kernel, kernel}, bound);
  m.register_parameter("weight", w.requires_grad_(true), false);
  if (bias) m.register_parameter("bias", Uniform({out}, bound).requires_grad_(true), false);
  const std::string s = std::to_string(stride), p = std::to_string(padding);
  m.define("def forward(self, x):\n    return torch.conv2d(x, self.weight, " + std::string(bias ? "self.bias" : "None") +
           ", [" + s + ", " + s + "], [" + p + ", " + p + "], [1, 1], " + std::to_string(groups) + ")\n");
  return m;
}

torch::jit::Module Linear(const std::string& path, int64_t in, int64_t out) {
  torch::jit::Module m = NewModule("Linear", path);
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  m.register_parameter("weight", Uniform({out, in}, bound).requires_grad_(true), false);
  m.register_parameter("bias", Uniform({out}, bound).requires_grad_(true), false);
  m.define("def forward(self, x):\n    return torch.linear(x, self.weight, self.bias)\n");
  return m;
}

torch::jit::Module BatchNorm2d(const std::string& path, int64_t channels) {
  torch::jit::Module m = NewModule("BatchNorm2d", path);
  m.register_parameter("weight", torch::ones({channels}).requires_grad_(true), false);
  m.register_parameter("bias", torch::zeros({channels}).requires_grad_(true), false);
  m.register_buffer("running_mean", torch::zeros({channels}));
  m.register_buffer("running_var", torch::ones({channels}));
  m.register_buffer("num_batches_tracked", torch::zeros({}, torch::kInt64));
  m.define(
      "def forward(self, x):\n"
      "    return torch.batch_norm(x, self.weight, self.bias, self.running_mean, self.running_var,\n"
      "                            self.training, 0.1, 1e-05, False)\n");
  return m;
}

}  // namespace hone::compress::layers
