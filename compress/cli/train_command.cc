// `hone compress train` and `hone compress evaluate` (on a built-in data set, or by the
// user's own evaluator command).
#include <cstdio>
#include <filesystem>
#include <memory>

#include "compress/cli/compress_commands.h"
#include "compress/data/dataset_catalog.h"
#include "compress/external/model_command.h"
#include "compress/train/trainer.h"
#include "compress/zoo/model_zoo.h"

namespace hone::compress {
namespace {

struct TrainArgs {
  std::string model = "cnn2";
  std::string data = "fashion-mnist";
  std::string out;
  std::string init;  // fine-tune this model instead of a fresh zoo model
  int64_t train_subset = 0;
  int64_t test_subset = 0;
  ZooSpec zoo;
  TrainOptions train;
};

Status RunTrain(TrainArgs& a) {
  HONE_RETURN_IF_ERROR(ValidateTrainOptions(a.train));
  auto spec = ParseDatasetSpec(a.data);
  if (!spec.ok()) return spec.status();
  auto train = LoadDataset(*spec, Split::kTrain);
  if (!train.ok()) return train.status();
  auto test = LoadDataset(*spec, Split::kTest);
  if (!test.ok()) return test.status();
  TruncateImageSet(*train, a.train_subset);
  TruncateImageSet(*test, a.test_subset);
  a.zoo.name = a.model;
  a.zoo.channels = train->channels;
  a.zoo.height = train->height;
  a.zoo.width = train->width;
  a.zoo.classes = train->num_classes;
  a.zoo.seed = a.train.seed;
  auto model = a.init.empty() ? BuildZooModel(a.zoo) : ScriptModel::Load(a.init);
  if (!model.ok()) return model.status();
  std::printf("%s: %lld parameters; %s: %lld training and %lld test images\n",
              a.init.empty() ? a.model.c_str() : a.init.c_str(),
              static_cast<long long>(model->NumParameters()), spec->name.c_str(),
              static_cast<long long>(train->count), static_cast<long long>(test->count));
  std::fflush(stdout);
  a.train.progress = stdout;
  auto history = Train(*model, *train, &*test, DatasetNormalization(spec->name, train->channels), a.train);
  if (!history.ok()) return history.status();
  HONE_RETURN_IF_ERROR(model->Save(a.out));
  std::printf("test accuracy %.2f%%; saved %s\n", 100 * history->back().test.accuracy, a.out.c_str());
  return Status::Ok();
}

struct EvaluateArgs {
  std::string model;
  std::string data = "fashion-mnist";
  int64_t test_subset = 0;
  int64_t batch_size = 500;
  int threads = 0;
  std::string device = "cpu";
  ModelCommand evaluator;
};

// The user's evaluator gives the score; its extra numeric metrics are printed too.
Status RunCommandEvaluate(const EvaluateArgs& a) {
  std::error_code ec;
  ModelCommandCall call{.phase = ModelPhase::kEvaluate, .model_path = a.model,
                        .python_path = FindPythonSdkDir(std::filesystem::read_symlink("/proc/self/exe", ec).string()),
                        .progress = stdout};
  if (!std::filesystem::is_regular_file(a.model, ec)) return NotFound(a.model + ": no such model file");
  auto r = RunModelCommand(a.evaluator, call);
  if (!r.ok()) return r.status();
  std::string extra;
  for (const auto& [key, value] : r->metrics.items()) {
    if (key == "default" || !value.is_number()) continue;
    extra += (extra.empty() ? " (" : ", ") + key + " " + value.dump();
  }
  std::printf("%s by `%s`: score %.6f%s\n", a.model.c_str(), a.evaluator.command.c_str(), *r->value,
              extra.empty() ? "" : (extra + ")").c_str());
  return Status::Ok();
}

Status RunEvaluate(const EvaluateArgs& a) {
  if (!a.evaluator.empty()) return RunCommandEvaluate(a);
  auto spec = ParseDatasetSpec(a.data);
  if (!spec.ok()) return spec.status();
  auto test = LoadDataset(*spec, Split::kTest);
  if (!test.ok()) return test.status();
  TruncateImageSet(*test, a.test_subset);
  auto model = ScriptModel::Load(a.model);
  if (!model.ok()) return model.status();
  auto stats = Evaluate(*model, *test, DatasetNormalization(spec->name, test->channels), a.batch_size, a.threads,
                        a.device);
  if (!stats.ok()) return stats.status();
  std::printf("%s on %s test (%lld images): accuracy %.2f%%  loss %.4f  %.2f s\n", a.model.c_str(),
              spec->name.c_str(), static_cast<long long>(stats->count), 100 * stats->accuracy, stats->loss,
              stats->seconds);
  return Status::Ok();
}

}  // namespace

void SetupTrainCommand(CLI::App& app, Status* result) {
  auto a = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Train a zoo model on a data set and save it as TorchScript");
  cmd->add_option("--model", a->model, "Zoo model: cnn2, lenet5, vgg-small, resnet20, mobilenetv2-small")
      ->capture_default_str();
  cmd->add_option("--data", a->data, "fashion-mnist[:DIR], mnist:DIR or cifar10:DIR")->capture_default_str();
  cmd->add_option("--out", a->out, "Where to save the trained model (.pt)")->required();
  cmd->add_option("--init", a->init, "Fine-tune this TorchScript model (.pt) instead of a new zoo model");
  cmd->add_option("--epochs", a->train.epochs, "Epochs")->capture_default_str();
  cmd->add_option("--optimizer", a->train.optimizer, "sgd, adam or adamw")->capture_default_str();
  cmd->add_option("--lr", a->train.lr, "Initial learning rate")->capture_default_str();
  cmd->add_option("--momentum", a->train.momentum, "SGD momentum")->capture_default_str();
  cmd->add_option("--weight-decay", a->train.weight_decay, "Weight decay")->capture_default_str();
  cmd->add_option("--schedule", a->train.schedule, "cosine or constant")->capture_default_str();
  cmd->add_option("--batch-size", a->train.batch_size, "Training batch size")->capture_default_str();
  cmd->add_option("--threads", a->train.threads, "libtorch threads (0: one per core)")->capture_default_str();
  cmd->add_option("--device", a->train.device, "cpu, cuda or auto (cuda when libtorch sees a GPU)")
      ->capture_default_str();
  cmd->add_option("--crop-padding", a->train.crop_padding,
                  "Augment: random crops of the images padded with N black pixels (0: none)")
      ->capture_default_str();
  cmd->add_flag("--flip", a->train.flip, "Augment: mirror images left-right at random");
  cmd->add_option("--seed", a->train.seed, "Seed of initialisation, shuffling, augmentation and dropout")
      ->capture_default_str();
  cmd->add_option("--width", a->zoo.base_width, "Channels of the first layer (0: the model's default)");
  cmd->add_option("--depth", a->zoo.depth, "cnn2: conv stages (0: 2)");
  cmd->add_option("--dropout", a->zoo.dropout, "Dropout before the last layer");
  cmd->add_option("--train-subset", a->train_subset, "Use only the first N training images (0: all)");
  cmd->add_option("--test-subset", a->test_subset, "Use only the first N test images (0: all)");
  cmd->callback([a, result] { *result = RunTrain(*a); });
}

void SetupEvaluateCommand(CLI::App& app, Status* result) {
  auto a = std::make_shared<EvaluateArgs>();
  auto* cmd = app.add_subcommand("evaluate", "Accuracy and loss of a TorchScript model on a test set");
  cmd->add_option("model", a->model, "TorchScript model (.pt)")->required();
  auto* data = cmd->add_option("--data", a->data, "fashion-mnist[:DIR], mnist:DIR or cifar10:DIR")->capture_default_str();
  auto* subset = cmd->add_option("--test-subset", a->test_subset, "Use only the first N test images (0: all)");
  cmd->add_option("--batch-size", a->batch_size, "Batch size")->capture_default_str();
  cmd->add_option("--threads", a->threads, "libtorch threads (0: one per core)")->capture_default_str();
  cmd->add_option("--device", a->device, "cpu, cuda or auto (cuda when libtorch sees a GPU)")->capture_default_str();
  auto* evaluator = cmd->add_option("--evaluator", a->evaluator.command,
                                    "Instead of --data: a command that scores HONE_MODEL_PATH and prints "
                                    "`@hone {\"type\":\"final\",\"value\":SCORE}` (hone's trial protocol)");
  evaluator->excludes(data)->excludes(subset);
  cmd->add_option("--evaluator-timeout", a->evaluator.timeout_s, "Seconds the evaluator may run (0: no limit)")
      ->check(CLI::NonNegativeNumber)
      ->needs(evaluator);
  cmd->callback([a, result] { *result = RunEvaluate(*a); });
}

}  // namespace hone::compress
