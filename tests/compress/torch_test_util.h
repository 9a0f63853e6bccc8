// Helpers shared by the libtorch compress tests: config parsing, batch norms away from
// their initial values, a forward pass, and a check that a saved model computes the
// same in Python (python3-torch).
#pragma once

#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compress/graph/layer_graph.h"
#include "compress/model/script_model_torch.h"
#include "compress/prune/channel_groups.h"
#include "compress/prune/prune_config.h"
#include "compress/zoo/model_zoo.h"
#include "compress_test_util.h"

namespace hone::compress::testing {

// Python (torch.nn as nn) of a residual block over `c` channels whose first convolution
// widens to `mid` (default c): conv-bn-relu-conv-bn, plus the input, then relu.
inline constexpr const char* kPythonResidualBlock = R"(
class Block(nn.Module):
    def __init__(self, c, mid=None):
        super().__init__()
        mid = mid or c
        self.conv1 = nn.Conv2d(c, mid, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += x
        return torch.relu(out)
)";

inline PruneConfig Config(const std::string& yaml) {
  auto c = ParsePruneConfig(yaml, "prune.yaml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? *c : PruneConfig{};
}

// The errors of parsing `yaml` as the file `origin` (a test failure when it parses).
inline std::string ConfigError(const std::string& yaml, const std::string& origin) {
  auto c = ParsePruneConfig(yaml, origin);
  EXPECT_FALSE(c.ok()) << yaml;
  return c.ok() ? "" : c.status().message();
}

// A model and its layer graph.
struct Net {
  ScriptModel model;
  LayerGraph graph;
};

// `model` and its graph on `shape`; nullopt (a test failure) when either is an error.
inline std::optional<Net> WithGraph(StatusOr<ScriptModel> model, const std::vector<int64_t>& shape) {
  EXPECT_TRUE(model.ok()) << model.status().message();
  if (!model.ok()) return std::nullopt;
  auto g = BuildLayerGraph(*model, shape);
  EXPECT_TRUE(g.ok()) << g.status().message();
  if (!g.ok()) return std::nullopt;
  return Net{std::move(*model), std::move(*g)};
}

// A zoo model for square one-channel images of `size` and its layer graph.

inline Net ZooNet(const std::string& name, int64_t width = 4, int64_t size = 8, uint64_t seed = 3) {
  auto m = BuildZooModel({.name = name, .height = size, .width = size, .base_width = width, .seed = seed});
  EXPECT_TRUE(m.ok()) << m.status().message();
  auto g = BuildLayerGraph(*m, {1, 1, size, size});
  EXPECT_TRUE(g.ok()) << g.status().message();
  return {std::move(*m), std::move(*g)};
}

// Per channel group, the first `widths[g]` channels (empty: all), as speedup's kept
// channels for a policy of widths.
inline std::vector<std::vector<int64_t>> FirstChannels(const ChannelAnalysis& groups,
                                                       const std::vector<int64_t>& widths) {
  std::vector<std::vector<int64_t>> kept(groups.groups.size());
  for (size_t g = 0; g < kept.size(); ++g) {
    if (widths[g] == groups.groups[g].channels) continue;
    for (int64_t c = 0; c < widths[g]; ++c) kept[g].push_back(c);
  }
  return kept;
}

// The normalization the tests apply to Noise images.
inline const Normalization kNorm{{0.5f}, {0.25f}};

// `n` one-channel images of random pixels with random labels (10 classes).
inline ImageSet Noise(int64_t n, int64_t size, uint64_t seed = 1) {
  ImageSet s;
  s.count = n;
  s.channels = 1;
  s.height = s.width = size;
  s.num_classes = 10;
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < n * size * size; ++i) s.pixels.push_back(static_cast<uint8_t>(rng() % 256));
  for (int64_t i = 0; i < n; ++i) s.labels.push_back(static_cast<uint8_t>(rng() % 10));
  return s;
}

// Batch-norm statistics and affine parameters away from their initial values, so that
// equivalence tests exercise them. Scales are drawn from N(1, 0.3), or with
// `positive_scales` from U(0.5, 1.5).
inline void RandomizeBatchNorms(ScriptModel& model, bool positive_scales = false) {
  torch::NoGradGuard no_grad;
  for (const auto& named : ModuleOf(model).named_modules()) {
    torch::jit::Module m = named.value;
    if (!m.hasattr("running_var")) continue;
    m.attr("running_mean").toTensor().normal_(0, 0.5);
    m.attr("running_var").toTensor().uniform_(0.5, 2.0);
    at::Tensor scale = m.attr("weight").toTensor();
    if (positive_scales) {
      scale.uniform_(0.5, 1.5);
    } else {
      scale.normal_(1, 0.3);
    }
    m.attr("bias").toTensor().normal_(0, 0.3);
  }
}

inline at::Tensor Forward(const ScriptModel& model, const at::Tensor& x) {
  torch::NoGradGuard no_grad;
  ModuleOf(model).eval();
  return ModuleOf(model).forward({x}).toTensor();
}

// Saves `model` under `dir`, loads it back in C++ and in Python, and expects both to map
// `x` to `expected` within 1e-4; `python_assert` is one more Python statement about `m`
// (e.g. "assert m.mix.weight.shape == (4, 7, 3, 3)"), or empty.
inline void ExpectSameInCppAndPython(const ScriptModel& model, const at::Tensor& x, const at::Tensor& expected,
                                     const ScratchDir& dir, const std::string& python_assert) {
  ASSERT_TRUE(model.Save(dir / "fast.pt").ok());
  auto loaded = ScriptModel::Load(dir / "fast.pt");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_LT((expected - Forward(*loaded, x)).abs().max().item<double>(), 1e-4);
  std::vector<char> bytes = torch::pickle_save(c10::ivalue::Tuple::create({x, expected}));
  std::ofstream(dir / "io.pt", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::ofstream(dir / "check.py") << "import torch, sys\nm = torch.jit.load(sys.argv[1] + '/fast.pt').eval()\n"
                                     "x, y = torch.load(sys.argv[1] + '/io.pt')\n"
                                     "assert (m(x) - y).abs().max() < 1e-4\n"
                                  << python_assert << "\n";
  EXPECT_EQ(RunShell(std::string(HONE_PYTHON) + " " + (dir / "check.py") + " " + dir.path().string()), 0);
}

}  // namespace hone::compress::testing
