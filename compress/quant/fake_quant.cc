#include "compress/quant/fake_quant_torch.h"

namespace hone::compress {

void ObserveTensor(Observer& observer, const at::Tensor& x) {
  at::Tensor f = x.detach().to(at::kCPU, at::kFloat).contiguous();
  observer.Observe(std::span<const float>(f.data_ptr<float>(), static_cast<size_t>(f.numel())));
}

at::Tensor FakeQuantize(const at::Tensor& x, const QuantParams& p) {
  return at::fake_quantize_per_tensor_affine(x, p.scale, p.zero_point, p.qmin, p.qmax);
}

ChannelParams ChoosePerChannelParams(const at::Tensor& w, int64_t axis, const QuantSpec& spec) {
  at::Tensor rows = w.detach().to(at::kCPU, at::kFloat).transpose(0, axis).flatten(1).contiguous();
  auto [mins, maxs] = rows.aminmax(1);
  ChannelParams out;
  out.axis = axis;
  out.qmin = spec.qmin();
  out.qmax = spec.qmax();
  auto lo = mins.accessor<float, 1>();
  auto hi = maxs.accessor<float, 1>();
  for (int64_t c = 0; c < rows.size(0); ++c) {
    QuantParams q = ChooseQuantParams({lo[c], hi[c]}, spec);
    out.scales.push_back(q.scale);
    out.zero_points.push_back(q.zero_point);
  }
  return out;
}

at::Tensor ScalesTensor(const ChannelParams& p) {
  return torch::tensor(std::vector<double>(p.scales.begin(), p.scales.end()), torch::kFloat64);
}

at::Tensor ZeroPointsTensor(const ChannelParams& p) { return torch::tensor(p.zero_points, torch::kInt64); }

at::Tensor FakeQuantizePerChannel(const at::Tensor& w, const ChannelParams& p) {
  at::Tensor scales = torch::tensor(p.scales, torch::kFloat32);
  at::Tensor zero_points = ZeroPointsTensor(p).to(torch::kInt32);
  return at::fake_quantize_per_channel_affine(w, scales, zero_points, p.axis, p.qmin, p.qmax);
}

}  // namespace hone::compress
