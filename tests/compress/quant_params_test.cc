// Quantization grids: hand-computed scales, agreement with ATen's quantize ops and with
// PyTorch 1.13's own observers (run in python3), and the half-step error bound.
#include "compress/quant/quant_params.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "compress/quant/fake_quant_torch.h"
#include "compress/quant/observer.h"
#include "torch_test_util.h"

namespace hone::compress {
namespace {

using testing::ScratchDir;

TEST(QuantParamsTest, GridsCoverTheirBitWidth) {
  EXPECT_EQ(ActivationSpec(8).qmin(), 0);
  EXPECT_EQ(ActivationSpec(8).qmax(), 255);
  EXPECT_EQ(WeightSpec(8).qmin(), -128);
  EXPECT_EQ(WeightSpec(8).qmax(), 127);
  EXPECT_EQ(WeightSpec(4).qmin(), -8);
  EXPECT_EQ(WeightSpec(4).qmax(), 7);
  EXPECT_EQ(WeightSpec(3).qmin(), -4);
  EXPECT_EQ(ActivationSpec(2).qmax(), 3);
  EXPECT_EQ(QuantSpecName(WeightSpec(4)), "int4 symmetric");
  EXPECT_EQ(QuantSpecName(ActivationSpec(8)), "uint8 affine");
  EXPECT_TRUE(ValidateQuantSpec(WeightSpec(2)).ok());
  EXPECT_EQ(ValidateQuantSpec(WeightSpec(9)).message(), "quantization bits must be between 2 and 8, but got 9");
  EXPECT_FALSE(ValidateQuantSpec(ActivationSpec(1)).ok());
}

TEST(QuantParamsTest, HandComputedScalesAndZeroPoints) {
  // uint8 affine over [-1, 3]: 4 / 255 per step, zero at round(1 / (4 / 255)) = round(63.75).
  QuantParams a = ChooseQuantParams({-1.0f, 3.0f}, ActivationSpec(8));
  EXPECT_FLOAT_EQ(a.scale, 4.0f / 255.0f);
  EXPECT_EQ(a.zero_point, 64);
  // The range always includes 0: [0.5, 2] quantizes as [0, 2].
  QuantParams pos = ChooseQuantParams({0.5f, 2.0f}, ActivationSpec(8));
  EXPECT_FLOAT_EQ(pos.scale, 2.0f / 255.0f);
  EXPECT_EQ(pos.zero_point, 0);
  QuantParams neg = ChooseQuantParams({-2.0f, -0.5f}, ActivationSpec(8));
  EXPECT_EQ(neg.zero_point, 255);
  // Symmetric int8 divides max|x| by 127.5 (PyTorch's (qmax - qmin) / 2), zero point 0.
  QuantParams w = ChooseQuantParams({-1.0f, 2.0f}, WeightSpec(8));
  EXPECT_FLOAT_EQ(w.scale, 2.0f / 127.5f);
  EXPECT_EQ(w.zero_point, 0);
  QuantParams w4 = ChooseQuantParams({-3.0f, 1.0f}, WeightSpec(4));
  EXPECT_FLOAT_EQ(w4.scale, 3.0f / 7.5f);
  EXPECT_EQ(w4.qmin, -8);
  // uint4 affine over [-1, 3]: 4 / 15 per step, zero at round(3.75) = 4.
  QuantParams a4 = ChooseQuantParams({-1.0f, 3.0f}, ActivationSpec(4));
  EXPECT_FLOAT_EQ(a4.scale, 4.0f / 15.0f);
  EXPECT_EQ(a4.zero_point, 4);
  // A constant zero tensor: the smallest scale, float32's epsilon.
  QuantParams zero = ChooseQuantParams({0.0f, 0.0f}, ActivationSpec(8));
  EXPECT_EQ(zero.scale, std::numeric_limits<float>::epsilon());
  EXPECT_EQ(zero.zero_point, 0);
  // Rounding is half to even, as torch.round: 0.5 steps above zero rounds to 0.
  EXPECT_EQ(QuantizeValue(0.5f * a.scale, a), 64);
  EXPECT_EQ(QuantizeValue(1.5f * a.scale, a), 66);
  EXPECT_EQ(QuantizeValue(100.0f, a), 255);
  EXPECT_EQ(QuantizeValue(-100.0f, a), 0);
}

TEST(QuantParamsTest, SameCodesAndValuesAsAtenQuantizePerTensor) {
  torch::manual_seed(5);
  at::Tensor x = torch::randn({4096}) * 2.0 + 0.5;
  auto obs = MakeObserver({.kind = ObserverKind::kMinMax});
  ObserveTensor(*obs, x);
  QuantParams p = ChooseQuantParams(obs->Range(), ActivationSpec(8));
  at::Tensor q = at::quantize_per_tensor(x, p.scale, p.zero_point, at::kQUInt8);
  at::Tensor codes = q.int_repr().to(at::kLong);
  for (int64_t i = 0; i < x.numel(); ++i) {
    ASSERT_EQ(codes[i].item<int64_t>(), QuantizeValue(x[i].item<float>(), p)) << "at " << i;
    ASSERT_EQ(q.dequantize()[i].item<float>(), FakeQuantizeValue(x[i].item<float>(), p)) << "at " << i;
  }
  EXPECT_TRUE(torch::equal(FakeQuantize(x, p), q.dequantize()));
}

TEST(QuantParamsTest, SameValuesAsAtenQuantizePerChannel) {
  torch::manual_seed(6);
  at::Tensor w = torch::randn({8, 4, 3, 3}) * torch::linspace(0.1, 3.0, 8).reshape({8, 1, 1, 1});
  ChannelParams p = ChoosePerChannelParams(w, 0, WeightSpec(8));
  ASSERT_EQ(p.scales.size(), 8u);
  for (int64_t c = 0; c < 8; ++c) {
    EXPECT_FLOAT_EQ(p.scales[static_cast<size_t>(c)], w[c].abs().max().item<float>() / 127.5f);
    EXPECT_EQ(p.zero_points[static_cast<size_t>(c)], 0);
  }
  at::Tensor q = at::quantize_per_channel(w, ScalesTensor(p), ZeroPointsTensor(p), 0, at::kQInt8);
  EXPECT_TRUE(torch::equal(FakeQuantizePerChannel(w, p), q.dequantize()));
  // Along axis 1 (the input channels of a transposed convolution's layout).
  ChannelParams in = ChoosePerChannelParams(w, 1, WeightSpec(8));
  ASSERT_EQ(in.scales.size(), 4u);
  at::Tensor q1 = at::quantize_per_channel(w, ScalesTensor(in), ZeroPointsTensor(in), 1, at::kQInt8);
  EXPECT_TRUE(torch::equal(FakeQuantizePerChannel(w, in), q1.dequantize()));
}

TEST(QuantParamsTest, QuantizeDequantizeErrorIsAtMostHalfAStep) {
  torch::manual_seed(7);
  at::Tensor x = torch::randn({20000}) * 3.0 - 1.0;
  at::Tensor w = torch::randn({16, 64});
  // Float rounding of x / scale near the ends of an 8-bit range (x at 127.5 steps) adds
  // about 128 float epsilons of a step.
  const double half = 0.5 * (1 + 1e-4);
  for (int bits = 2; bits <= 8; ++bits) {
    auto obs = MakeObserver({.kind = ObserverKind::kMinMax});
    ObserveTensor(*obs, x);
    QuantParams p = ChooseQuantParams(obs->Range(), ActivationSpec(bits));
    const double err = (FakeQuantize(x, p) - x).abs().max().item<double>();
    EXPECT_LE(err, p.scale * half) << bits << " bits";
    EXPECT_GT(err, p.scale / 4.0) << bits << " bits";  // the error is real, not zero
    ChannelParams pc = ChoosePerChannelParams(w, 0, WeightSpec(bits));
    at::Tensor step = torch::tensor(pc.scales).reshape({16, 1});
    at::Tensor ratio = (FakeQuantizePerChannel(w, pc) - w).abs() / step;
    EXPECT_LE(ratio.max().item<double>(), half) << bits << " bits";
  }
}

// PyTorch's observers, run in python3 on the same tensors; each line of the output is
// "<name> <scale as float.hex()> <zero point>".
std::map<std::string, std::pair<double, int64_t>> PythonObservers(const std::vector<at::Tensor>& batches,
                                                                 const at::Tensor& weight, const ScratchDir& dir) {
  std::vector<c10::IValue> items(batches.begin(), batches.end());
  items.push_back(weight);
  std::vector<char> bytes = torch::pickle_save(c10::ivalue::Tuple::create(items));
  std::ofstream(dir / "in.pt", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::ofstream(dir / "obs.py") << R"(import sys, torch
from torch.ao.quantization.observer import MinMaxObserver, MovingAverageMinMaxObserver, PerChannelMinMaxObserver
*batches, w = torch.load(sys.argv[1] + '/in.pt')
def out(name, obs, xs):
    for x in xs: obs(x)
    s, z = obs.calculate_qparams()
    for i, (si, zi) in enumerate(zip(s.flatten().tolist(), z.flatten().tolist())):
        print(name + str(i), float(si).hex(), int(zi))
out('u8_', MinMaxObserver(), batches)
out('s8sym_', MinMaxObserver(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric), batches)
out('u4_', MinMaxObserver(quant_min=0, quant_max=15), batches)
out('ma_', MovingAverageMinMaxObserver(), batches)
out('pc8_', PerChannelMinMaxObserver(ch_axis=0, dtype=torch.qint8, qscheme=torch.per_channel_symmetric), [w])
out('pc4_', PerChannelMinMaxObserver(ch_axis=0, dtype=torch.qint8, qscheme=torch.per_channel_symmetric,
                                     quant_min=-8, quant_max=7), [w])
)";
  testing::CommandResult r =
      testing::RunCommand(std::string(HONE_PYTHON) + " " + (dir / "obs.py") + " " + dir.path().string());
  EXPECT_EQ(r.code, 0) << r.output;
  std::map<std::string, std::pair<double, int64_t>> values;
  std::istringstream lines(r.output);
  std::string name, scale;
  int64_t zero_point = 0;
  while (lines >> name >> scale >> zero_point) values[name] = {std::strtod(scale.c_str(), nullptr), zero_point};
  return values;
}

TEST(QuantParamsTest, SameScalesAsPyTorchObservers) {
  ScratchDir dir("quant_observers");
  torch::manual_seed(8);
  std::vector<at::Tensor> batches;
  for (int i = 0; i < 5; ++i) batches.push_back(torch::randn({1000}) * (1.0 + i) + 0.3 * i);
  at::Tensor w = torch::randn({6, 10}) * torch::linspace(0.05, 2.0, 6).reshape({6, 1});
  auto py = PythonObservers(batches, w, dir);
  ASSERT_EQ(py.size(), 4u + 6u * 2u);
  auto minmax = MakeObserver({.kind = ObserverKind::kMinMax});
  auto moving = MakeObserver({.kind = ObserverKind::kMovingAverage});
  for (const at::Tensor& b : batches) {
    ObserveTensor(*minmax, b);
    ObserveTensor(*moving, b);
  }
  auto expect = [&](const std::string& name, const QuantParams& p) {
    ASSERT_TRUE(py.count(name)) << name;
    EXPECT_EQ(p.scale, static_cast<float>(py[name].first)) << name;  // bit for bit
    EXPECT_EQ(p.zero_point, py[name].second) << name;
  };
  expect("u8_0", ChooseQuantParams(minmax->Range(), ActivationSpec(8)));
  const QuantSpec int8_symmetric{.bits = 8, .is_signed = true, .scheme = QuantScheme::kSymmetric};
  expect("s8sym_0", ChooseQuantParams(minmax->Range(), int8_symmetric));
  expect("u4_0", ChooseQuantParams(minmax->Range(), ActivationSpec(4)));
  expect("ma_0", ChooseQuantParams(moving->Range(), ActivationSpec(8)));
  ChannelParams pc8 = ChoosePerChannelParams(w, 0, WeightSpec(8));
  ChannelParams pc4 = ChoosePerChannelParams(w, 0, WeightSpec(4));
  for (size_t c = 0; c < 6; ++c) {
    expect("pc8_" + std::to_string(c), {pc8.scales[c], pc8.zero_points[c], -128, 127});
    expect("pc4_" + std::to_string(c), {pc4.scales[c], pc4.zero_points[c], -8, 7});
  }
}

}  // namespace
}  // namespace hone::compress
