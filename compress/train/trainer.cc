#include "compress/train/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "compress/model/script_model_torch.h"
#include "compress/train/image_batches_torch.h"

namespace hone::compress {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const std::vector<at::Tensor>& params,
                                                       const TrainOptions& o) {
  if (o.optimizer == "adam") {
    return std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
  }
  if (o.optimizer == "adamw") {
    return std::make_unique<torch::optim::AdamW>(params,
                                                 torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));
  }
  return std::make_unique<torch::optim::SGD>(
      params,
      torch::optim::SGDOptions(o.lr).momentum(o.momentum).nesterov(o.nesterov).weight_decay(o.weight_decay));
}

void SetLearningRate(torch::optim::Optimizer& opt, double lr) {
  for (auto& group : opt.param_groups()) group.options().set_lr(lr);
}

// Learning rate after `step` of `total` batches.
double ScheduledLr(const TrainOptions& o, int64_t step, int64_t total) {
  if (o.schedule != "cosine" || total <= 1) return o.lr;
  return 0.5 * o.lr * (1.0 + std::cos(M_PI * static_cast<double>(step) / static_cast<double>(total)));
}

// A one-line progress bar rewritten in place on a terminal; nothing elsewhere.
class ProgressBar {
 public:
  ProgressBar(std::FILE* out, int epoch, int epochs, int64_t batches)
      : out_(out != nullptr && isatty(fileno(out)) ? out : nullptr), epoch_(epoch), epochs_(epochs),
        batches_(batches) {}
  void Update(int64_t done, double loss) {
    if (out_ == nullptr || (done % 10 != 0 && done != batches_)) return;
    constexpr int kWidth = 30;
    int filled = static_cast<int>(kWidth * done / std::max<int64_t>(1, batches_));
    std::fprintf(out_, "\repoch %d/%d [%s%s] %lld/%lld loss %.4f", epoch_, epochs_, std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, '.').c_str(), static_cast<long long>(done),
                 static_cast<long long>(batches_), loss);
    std::fflush(out_);
  }
  void Clear() {
    if (out_ != nullptr) std::fprintf(out_, "\r\033[K");
  }

 private:
  std::FILE* out_;
  int epoch_, epochs_;
  int64_t batches_;
};

Status CheckShape(const ImageSet& data, const char* what) {
  if (data.count <= 0) return InvalidArgument(std::string("the ") + what + " set is empty");
  if (data.pixels.size() != static_cast<size_t>(data.count * data.image_size()) ||
      data.labels.size() != static_cast<size_t>(data.count)) {
    return InvalidArgument(std::string("the ") + what + " set's pixel or label count does not match its shape");
  }
  return Status::Ok();
}

StatusOr<at::Device> ResolveDevice(const std::string& name) {
  if (name == "cpu") return at::Device(at::kCPU);
  if (name != "cuda" && name != "auto") return InvalidArgument("device must be cpu, cuda or auto, but got '" + name + "'");
  if (torch::cuda::is_available()) return at::Device(at::kCUDA, 0);
  if (name == "auto") return at::Device(at::kCPU);
  return FailedPrecondition(std::string("device cuda: this libtorch ") +
                            (at::hasCUDA() ? "sees no GPU" : "was built without CUDA") + " (use --device cpu or auto)");
}

// Moves a module to a device for a scope and back to the CPU at its end.
class OnDevice {
 public:
  OnDevice(torch::jit::Module& module, at::Device device) : module_(module), moved_(!device.is_cpu()) {
    if (moved_) module_.to(device);
  }
  ~OnDevice() {
    if (moved_) module_.to(at::Device(at::kCPU));
  }
  OnDevice(const OnDevice&) = delete;
  OnDevice& operator=(const OnDevice&) = delete;

 private:
  torch::jit::Module& module_;
  bool moved_;
};

EvalStats EvaluateModule(torch::jit::Module& module, const ImageBatches& data, int64_t batch_size,
                         at::Device device) {
  auto start = Clock::now();
  torch::NoGradGuard no_grad;
  module.eval();
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t begin = 0; begin < data.size(); begin += batch_size) {
    int64_t end = std::min(data.size(), begin + batch_size);
    at::Tensor out = module.forward({data.Range(begin, end).to(device)}).toTensor();
    at::Tensor y = data.LabelRange(begin, end).to(device);
    loss_sum += torch::nn::functional::cross_entropy(
                    out, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .item<double>();
    correct += out.argmax(1).eq(y).sum().item<int64_t>();
  }
  EvalStats s;
  s.count = data.size();
  s.loss = loss_sum / static_cast<double>(s.count);
  s.accuracy = static_cast<double>(correct) / static_cast<double>(s.count);
  s.seconds = Seconds(start);
  return s;
}

// One training epoch after another over shuffled batches, the learning rate following
// its schedule over all of them.
class EpochRunner {
 public:
  EpochRunner(torch::jit::Module& module, const ImageBatches& data, const TrainOptions& o, at::Device device,
              torch::optim::Optimizer& optimizer, std::mt19937_64& rng)
      : module_(module),
        data_(data),
        o_(o),
        device_(device),
        optimizer_(optimizer),
        rng_(rng),
        n_(data.size()),
        batches_((n_ + o.batch_size - 1) / o.batch_size),
        order_(static_cast<size_t>(n_)) {}

  // The epoch's training loss, accuracy and last learning rate. Errors: a loss that is
  // not finite.
  StatusOr<EpochStats> Run(int epoch) {
    auto start = Clock::now();
    module_.train(true);
    std::iota(order_.begin(), order_.end(), 0);
    std::shuffle(order_.begin(), order_.end(), rng_);
    at::Tensor perm = torch::from_blob(order_.data(), {n_}, torch::kInt64);
    ProgressBar bar(o_.progress, epoch, o_.epochs, batches_);
    double loss_sum = 0;
    int64_t correct = 0;
    double lr = o_.lr;
    for (int64_t b = 0; b < batches_; ++b) {
      at::Tensor idx = perm.slice(0, b * o_.batch_size, std::min(n_, (b + 1) * o_.batch_size));
      at::Tensor x = (o_.crop_padding > 0 || o_.flip ? data_.AugmentedImages(idx, o_.crop_padding, o_.flip, rng_)
                                                     : data_.Images(idx))
                         .to(device_);
      at::Tensor y = data_.Labels(idx).to(device_);
      lr = ScheduledLr(o_, step_++, batches_ * o_.epochs);
      SetLearningRate(optimizer_, lr);
      at::Tensor out;
      double l = Step(x, y, out);
      if (!std::isfinite(l)) {
        bar.Clear();
        return FailedPrecondition("the training loss became " + std::to_string(l) + " in epoch " +
                                  std::to_string(epoch) + " (try a lower learning rate)");
      }
      loss_sum += l * static_cast<double>(idx.size(0));
      correct += out.argmax(1).eq(y).sum().item<int64_t>();
      bar.Update(b + 1, l);
    }
    bar.Clear();
    EpochStats s;
    s.epoch = epoch;
    s.lr = lr;
    s.train_loss = loss_sum / static_cast<double>(n_);
    s.train_accuracy = static_cast<double>(correct) / static_cast<double>(n_);
    s.seconds = Seconds(start);
    return s;
  }

 private:
  // One optimizer step on a batch, with the options' hooks; the loss, and the outputs in `out`.
  double Step(const at::Tensor& x, const at::Tensor& y, at::Tensor& out) {
    optimizer_.zero_grad();
    out = module_.forward({x}).toTensor();
    at::Tensor loss = torch::nn::functional::cross_entropy(out, y);
    loss.backward();
    if (o_.after_backward) o_.after_backward();
    optimizer_.step();
    if (o_.after_step) o_.after_step();
    return loss.item<double>();
  }

  torch::jit::Module& module_;
  const ImageBatches& data_;
  const TrainOptions& o_;
  at::Device device_;
  torch::optim::Optimizer& optimizer_;
  std::mt19937_64& rng_;
  const int64_t n_;
  const int64_t batches_;
  int64_t step_ = 0;
  std::vector<int64_t> order_;
};

void PrintEpoch(const TrainOptions& o, const EpochStats& s, bool tested) {
  if (o.progress == nullptr) return;
  std::fprintf(o.progress, "epoch %d/%d  loss %.4f  train acc %.2f%%", s.epoch, o.epochs, s.train_loss,
               100 * s.train_accuracy);
  if (tested) std::fprintf(o.progress, "  test loss %.4f  test acc %.2f%%", s.test.loss, 100 * s.test.accuracy);
  std::fprintf(o.progress, "  lr %.5f  %.1f s\n", s.lr, s.seconds);
  std::fflush(o.progress);
}

}  // namespace

Status ValidateTrainOptions(const TrainOptions& o) {
  if (o.optimizer != "sgd" && o.optimizer != "adam" && o.optimizer != "adamw") {
    return InvalidArgument("optimizer must be sgd, adam or adamw, but got '" + o.optimizer + "'");
  }
  if (o.schedule != "cosine" && o.schedule != "constant") {
    return InvalidArgument("schedule must be cosine or constant, but got '" + o.schedule + "'");
  }
  if (!(o.lr > 0) || !std::isfinite(o.lr)) return InvalidArgument("lr must be > 0, but got " + std::to_string(o.lr));
  if (o.momentum < 0 || o.momentum >= 1) {
    return InvalidArgument("momentum must lie in [0, 1), but got " + std::to_string(o.momentum));
  }
  if (o.weight_decay < 0) return InvalidArgument("weight_decay must be >= 0, but got " + std::to_string(o.weight_decay));
  if (o.epochs < 1) return InvalidArgument("epochs must be >= 1, but got " + std::to_string(o.epochs));
  if (o.batch_size < 1 || o.eval_batch_size < 1) return InvalidArgument("batch sizes must be >= 1");
  if (o.crop_padding < 0) return InvalidArgument("crop_padding must be >= 0, but got " + std::to_string(o.crop_padding));
  return CheckDevice(o.device);
}

Status CheckDevice(const std::string& device) { return ResolveDevice(device).status(); }

StatusOr<std::vector<EpochStats>> Train(ScriptModel& model, const ImageSet& train, const ImageSet* test,
                                        const Normalization& norm, const TrainOptions& o,
                                        const EpochCallback& on_epoch) {
  HONE_RETURN_IF_ERROR(ValidateTrainOptions(o));
  HONE_RETURN_IF_ERROR(CheckShape(train, "training"));
  if (test != nullptr) HONE_RETURN_IF_ERROR(CheckShape(*test, "test"));
  SetTorchThreads(o.threads);
  torch::manual_seed(o.seed);
  std::mt19937_64 rng(o.seed);
  torch::jit::Module& module = ModuleOf(model);
  std::vector<EpochStats> history;
  auto device = ResolveDevice(o.device);
  if (!device.ok()) return device.status();
  try {
    OnDevice on_device(module, *device);
    ImageBatches train_data(train, norm);
    std::unique_ptr<ImageBatches> test_data;
    if (test != nullptr) test_data = std::make_unique<ImageBatches>(*test, norm);
    std::vector<at::Tensor> params;
    for (const at::Tensor& p : module.parameters(/*recurse=*/true)) {
      p.requires_grad_(true);
      params.push_back(p);
    }
    auto optimizer = MakeOptimizer(params, o);
    EpochRunner runner{module, train_data, o, *device, *optimizer, rng};
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
      auto s = runner.Run(epoch);
      if (!s.ok()) return s.status();
      if (test_data) s->test = EvaluateModule(module, *test_data, o.eval_batch_size, *device);
      PrintEpoch(o, *s, test_data != nullptr);
      history.push_back(*s);
      if (on_epoch) on_epoch(*s);
    }
    module.eval();
    for (const at::Tensor& p : params) p.mutable_grad() = at::Tensor();
  } catch (const std::exception& e) {
    return InvalidArgument("training failed: " + TorchErrorMessage(e));
  }
  return history;
}

StatusOr<EvalStats> Evaluate(ScriptModel& model, const ImageSet& data, const Normalization& norm, int64_t batch_size,
                             int threads, const std::string& device_name) {
  HONE_RETURN_IF_ERROR(CheckShape(data, "evaluation"));
  if (batch_size < 1) return InvalidArgument("batch size must be >= 1");
  auto device = ResolveDevice(device_name);
  if (!device.ok()) return device.status();
  SetTorchThreads(threads);
  try {
    OnDevice on_device(ModuleOf(model), *device);
    ImageBatches batches(data, norm);
    return EvaluateModule(ModuleOf(model), batches, batch_size, *device);
  } catch (const std::exception& e) {
    return InvalidArgument("evaluation failed: " + TorchErrorMessage(e));
  }
}

}  // namespace hone::compress
