#include "compress/model/script_model.h"

#include <thread>

#include "compress/model/script_model_torch.h"

namespace hone::compress {

std::string TorchErrorMessage(const std::exception& e) {
  std::string msg;
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) {
    msg = c10->what_without_backtrace();
  } else {
    msg = e.what();
  }
  size_t first = msg.find_first_not_of("\n ");
  msg.erase(0, first == std::string::npos ? msg.size() : first);
  // TorchScript errors append the source range; keep the first paragraph.
  size_t cut = msg.find("\n\n");
  if (cut != std::string::npos) msg.resize(cut);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return msg;
}

std::optional<torch::jit::Module> FindSubmodule(torch::jit::Module module, const std::string& path) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!module.hasattr(part)) return std::nullopt;
    c10::IValue v = module.attr(part);
    if (!v.isModule()) return std::nullopt;
    module = v.toModule();
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return module;
}

at::Tensor TensorAttr(torch::jit::Module& root, const std::string& layer, const std::string& name) {
  auto owner = FindSubmodule(root, layer);
  if (!owner || !owner->hasattr(name)) return at::Tensor();
  c10::IValue v = owner->attr(name);
  return v.isTensor() ? v.toTensor() : at::Tensor();
}

StatusOr<ScriptModel> ScriptModel::Load(const std::string& path) {
  try {
    return WrapModule(torch::jit::load(path, torch::kCPU));
  } catch (const std::exception& e) {
    return InvalidArgument(path + ": cannot load the TorchScript model: " + TorchErrorMessage(e));
  }
}

Status ScriptModel::Save(const std::string& path) const {
  try {
    impl_->module.save(path);
    return Status::Ok();
  } catch (const std::exception& e) {
    return IoError(path + ": cannot save the model: " + TorchErrorMessage(e));
  }
}

int64_t ScriptModel::NumParameters() const {
  int64_t n = 0;
  for (const at::Tensor& p : impl_->module.parameters(/*recurse=*/true)) n += p.numel();
  return n;
}

StatusOr<std::vector<int64_t>> ScriptModel::OutputShape(const std::vector<int64_t>& input_shape) const {
  try {
    torch::NoGradGuard no_grad;
    torch::jit::Module copy = impl_->module.clone();
    copy.eval();
    at::Tensor out = copy.forward({torch::zeros(input_shape)}).toTensor();
    return out.sizes().vec();
  } catch (const std::exception& e) {
    return InvalidArgument("the model does not run on an input of the given shape: " + TorchErrorMessage(e));
  }
}

StatusOr<std::vector<int64_t>> ParseShape(const std::string& text) {
  std::vector<int64_t> shape;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    try {
      size_t used = 0;
      long long v = std::stoll(part, &used);
      if (used != part.size() || v <= 0) throw std::invalid_argument(part);
      shape.push_back(v);
    } catch (const std::exception&) {
      return InvalidArgument("a shape is positive integers separated by commas (1,3,32,32), but got '" + text + "'");
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return shape;
}

void SetTorchThreads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
}

}  // namespace hone::compress
