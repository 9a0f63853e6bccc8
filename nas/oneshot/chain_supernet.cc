#include "nas/oneshot/chain_supernet_torch.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "compress/model/script_model_torch.h"
#include "compress/zoo/script_layers_torch.h"
#include "nas/model/arch_model.h"
#include "nas/model/nas_ops_torch.h"

namespace hone::nas {
namespace {

using torch::jit::Module;
namespace layers = compress::layers;

constexpr double kBatchNormMomentum = 0.1;  // the stand-alone network's

std::string Str(int64_t v) { return std::to_string(v); }

at::Tensor Kaiming(std::vector<int64_t> shape, int64_t fan_out) {
  return (torch::randn(shape) * std::sqrt(2.0 / static_cast<double>(fan_out))).requires_grad_(true);
}

// A batch norm over the first x.size(1) channels of its largest form; its momentum is an
// attribute so that calibration can average cumulatively.
Module SlicedBatchNorm(const std::string& path, int64_t channels) {
  Module m = ops::NewModule("SlicedBatchNorm", path);
  m.register_parameter("weight", torch::ones({channels}).requires_grad_(true), false);
  m.register_parameter("bias", torch::zeros({channels}).requires_grad_(true), false);
  m.register_buffer("running_mean", torch::zeros({channels}));
  m.register_buffer("running_var", torch::ones({channels}));
  m.register_buffer("num_batches_tracked", torch::zeros({}, torch::kInt64));
  m.register_attribute("momentum", c10::FloatType::get(), kBatchNormMomentum);
  m.define(
      "def forward(self, x):\n"
      "    c = x.size(1)\n"
      "    return torch.batch_norm(x, self.weight[:c], self.bias[:c], self.running_mean[:c], self.running_var[:c],\n"
      "                            self.training, self.momentum, 1e-05, False)\n");
  return m;
}

// A 1x1 convolution from the first x.size(1) to the first `out` channels.
Module SlicedPointwise(const std::string& path, int64_t in, int64_t out) {
  Module m = ops::NewModule("SlicedPointwise", path);
  m.register_parameter("weight", Kaiming({out, in, 1, 1}, out), false);
  m.define(
      "def forward(self, x, out: int):\n"
      "    return torch.conv2d(x, self.weight[:out, :x.size(1)], None, [1, 1], [0, 0], [1, 1], 1)\n");
  return m;
}

// A depthwise convolution over the first x.size(1) channels with the centre `kernel` x
// `kernel` of its largest kernel.
Module SlicedDepthwise(const std::string& path, int64_t channels, int64_t max_kernel, int64_t stride) {
  Module m = ops::NewModule("SlicedDepthwise", path);
  m.register_parameter("weight", Kaiming({channels, 1, max_kernel, max_kernel}, max_kernel * max_kernel), false);
  m.define(
      "def forward(self, x, kernel: int):\n"
      "    c = x.size(1)\n"
      "    a = (" + Str(max_kernel) + " - kernel) // 2\n"
      "    p = (kernel - 1) // 2\n"
      "    w = self.weight[:c, :, a:a + kernel, a:a + kernel]\n"
      "    return torch.conv2d(x, w, None, [" + Str(stride) + ", " + Str(stride) + "], [p, p], [1, 1], c)\n");
  return m;
}

Module SlicedLinear(const std::string& path, int64_t in, int64_t out) {
  Module m = ops::NewModule("SlicedLinear", path);
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  m.register_parameter("weight", torch::empty({out, in}).uniform_(-bound, bound).requires_grad_(true), false);
  m.register_parameter("bias", torch::empty({out}).uniform_(-bound, bound).requires_grad_(true), false);
  m.define("def forward(self, x):\n    return torch.linear(x, self.weight[:, :x.size(1)], self.bias)\n");
  return m;
}

template <typename T>
T Max(const std::vector<T>& v) {
  return v.empty() ? T{1} : *std::max_element(v.begin(), v.end());
}

// The largest inverted residual of a stage's block (nas_ops_torch.h's InvertedResidual,
// same names), taking its width, kernel and expansion as arguments.
Module SuperBlock(const std::string& path, int64_t max_in, const ChainStage& stage, int stride) {
  Module m = ops::NewModule("ChainSuperBlock", path);
  const int64_t max_expansion = Max(stage.expansions), max_width = Max(stage.widths);
  const int64_t hidden = max_in * max_expansion;
  std::string code = "def forward(self, x, width: int, kernel: int, expansion: int):\n    y = x\n";
  if (max_expansion > 1) {
    m.register_module("expand", SlicedPointwise(path + ".expand", max_in, hidden));
    m.register_module("expand_bn", SlicedBatchNorm(path + ".expand_bn", hidden));
    code += "    if expansion != 1:\n"
            "        y = torch.hardtanh(self.expand_bn(self.expand(y, x.size(1) * expansion)), 0.0, 6.0)\n";
  }
  m.register_module("dw", SlicedDepthwise(path + ".dw", hidden, Max(stage.kernels), stride));
  m.register_module("dw_bn", SlicedBatchNorm(path + ".dw_bn", hidden));
  m.register_module("project", SlicedPointwise(path + ".project", hidden, max_width));
  m.register_module("project_bn", SlicedBatchNorm(path + ".project_bn", max_width));
  code += "    y = torch.hardtanh(self.dw_bn(self.dw(y, kernel)), 0.0, 6.0)\n"
          "    y = self.project_bn(self.project(y, width))\n";
  if (stride == 1) code += "    if x.size(1) == y.size(1):\n        return x + y\n";
  layers::Define(m, code + "    return y\n");
  return m;
}

Module SuperNetwork(const ModelSpace& space) {
  Module m = ops::NewModule("ChainSupernet", "");
  m.register_module("stem", ops::Conv("stem", space.input.channels, space.stem_channels, 3, 1, 1, 1));
  m.register_module("stem_bn", SlicedBatchNorm("stem_bn", space.stem_channels));
  std::string code = "def forward(self, x, path: List[int]):\n    x = torch.hardtanh(self.stem_bn(self.stem(x)), 0.0, 6.0)\n";
  int64_t max_in = space.stem_channels;
  int index = 0;
  for (size_t s = 0; s < space.chain.stages.size(); ++s) {
    const ChainStage& stage = space.chain.stages[s];
    const int min_depth = stage.depths.empty() ? 1 : *std::min_element(stage.depths.begin(), stage.depths.end());
    for (int b = 0; b < stage.MaxDepth(); ++b, ++index) {
      std::string name = "s" + Str(static_cast<int64_t>(s)) + "b" + Str(b);
      m.register_module(name, SuperBlock(name, max_in, stage, b == 0 ? stage.stride : 1));
      const int first = 4 * index;
      std::string call = "x = self." + name + "(x, path[" + Str(first + 1) + "], path[" + Str(first + 2) + "], path[" +
                         Str(first + 3) + "])\n";
      code += b < min_depth ? "    " + call : "    if path[" + Str(first) + "] != 0:\n        " + call;
      max_in = Max(stage.widths);
    }
  }
  if (space.chain.head_channels > 0) {
    m.register_module("head", SlicedPointwise("head", max_in, space.chain.head_channels));
    m.register_module("head_bn", SlicedBatchNorm("head_bn", space.chain.head_channels));
    code += "    x = torch.hardtanh(self.head_bn(self.head(x, " + Str(space.chain.head_channels) + ")), 0.0, 6.0)\n";
    max_in = space.chain.head_channels;
  }
  m.register_module("classifier", SlicedLinear("classifier", max_in, space.classes));
  code += "    x = torch.flatten(torch.adaptive_avg_pool2d(x, [1, 1]), 1)\n    return self.classifier(x)\n";
  layers::Define(m, code);
  return m;
}

// The part of a supernet tensor that a stand-alone tensor of `shape` takes: the first
// entries of each dimension, except a convolution kernel's centre.
at::Tensor SliceFor(at::Tensor source, c10::IntArrayRef shape) {
  for (int64_t d = 0; d < source.dim(); ++d) {
    const int64_t start = source.dim() == 4 && d >= 2 ? (source.size(d) - shape[d]) / 2 : 0;
    source = source.slice(d, start, start + shape[d]);
  }
  return source;
}

}  // namespace

StatusOr<ChainSupernet> BuildChainSupernet(const ModelSpace& space, uint64_t seed) {
  if (space.kind != SpaceKind::kChain) {
    return InvalidArgument("space '" + space.name + "': the chain supernet needs a chain space");
  }
  int reductions = 0;
  for (const ChainStage& stage : space.chain.stages) reductions += stage.stride == 2 ? 1 : 0;
  if ((space.input.height >> reductions) < 1 || (space.input.width >> reductions) < 1) {
    return InvalidArgument("space '" + space.name + "': an input of " + Str(space.input.height) + "x" +
                           Str(space.input.width) + " is too small for " + Str(reductions) + " reductions");
  }
  try {
    torch::manual_seed(seed);
    return ChainSupernet{SuperNetwork(space)};
  } catch (const std::exception& e) {
    return Internal("building the chain supernet of '" + space.name + "' failed: " + compress::TorchErrorMessage(e));
  }
}

std::vector<int64_t> ChainPath(const ModelSpace& space, const Architecture& arch) {
  std::vector<int64_t> path;
  for (size_t s = 0; s < space.chain.stages.size(); ++s) {
    const ChainStage& stage = space.chain.stages[s];
    const std::vector<ChainBlock> none;
    const std::vector<ChainBlock>& blocks = s < arch.stages.size() ? arch.stages[s] : none;
    for (int b = 0; b < stage.MaxDepth(); ++b) {
      if (static_cast<size_t>(b) < blocks.size()) {
        const ChainBlock& k = blocks[static_cast<size_t>(b)];
        path.insert(path.end(), {1, k.width, k.kernel, k.expansion});
      } else {
        path.insert(path.end(), {0, Max(stage.widths), Max(stage.kernels), Max(stage.expansions)});
      }
    }
  }
  return path;
}

at::Tensor ChainForward(const ChainSupernet& net, const at::Tensor& x, const std::vector<int64_t>& path) {
  torch::jit::Module m = net.module;
  return m.forward({x, c10::List<int64_t>(path)}).toTensor();
}

void CalibrateChainBatchNorm(ChainSupernet& net, const std::vector<int64_t>& path,
                             const std::vector<at::Tensor>& batches) {
  torch::NoGradGuard no_grad;
  std::vector<Module> norms;
  for (const auto& m : net.module.named_modules()) {
    if (!m.value.hasattr("momentum")) continue;
    m.value.attr("running_mean").toTensor().zero_();
    m.value.attr("running_var").toTensor().fill_(1.0);
    norms.push_back(m.value);
  }
  net.module.train();
  for (size_t i = 0; i < batches.size(); ++i) {
    // The i-th batch weighs 1 / (i + 1): the running statistics are the batches' mean.
    for (Module& bn : norms) bn.setattr("momentum", 1.0 / static_cast<double>(i + 1));
    ChainForward(net, batches[i], path);
  }
  for (Module& bn : norms) bn.setattr("momentum", kBatchNormMomentum);
  net.module.eval();
}

StatusOr<compress::ScriptModel> ExtractChainArchitecture(const ChainSupernet& net, const ModelSpace& space,
                                                         const Architecture& arch) {
  auto model = BuildArchitectureShell(space, arch);
  if (!model.ok()) return model.status();
  std::map<std::string, at::Tensor> source;
  for (const auto& p : net.module.named_parameters()) source[p.name] = p.value;
  for (const auto& b : net.module.named_buffers()) source[b.name] = b.value;
  torch::NoGradGuard no_grad;
  auto copy = [&](const std::string& name, const at::Tensor& target) -> Status {
    auto it = source.find(name);
    if (it == source.end() || it->second.dim() != target.dim()) {
      return Internal("extract chain architecture: no supernet tensor for " + name);
    }
    for (int64_t d = 0; d < target.dim(); ++d) {
      if (target.size(d) > it->second.size(d)) {
        return Internal("extract chain architecture: " + name + " is larger than the supernet's");
      }
    }
    target.copy_(SliceFor(it->second, target.sizes()));
    return Status::Ok();
  };
  torch::jit::Module& m = compress::ModuleOf(*model);
  for (const auto& p : m.named_parameters()) HONE_RETURN_IF_ERROR(copy(p.name, p.value));
  for (const auto& b : m.named_buffers()) HONE_RETURN_IF_ERROR(copy(b.name, b.value));
  return model;
}

}  // namespace hone::nas
