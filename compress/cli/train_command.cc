// `hone compress train` and `hone compress evaluate`.
#include <cstdio>
#include <memory>

#include "compress/cli/compress_commands.h"
#include "compress/data/dataset_catalog.h"
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
};

Status RunEvaluate(const EvaluateArgs& a) {
  auto spec = ParseDatasetSpec(a.data);
  if (!spec.ok()) return spec.status();
  auto test = LoadDataset(*spec, Split::kTest);
  if (!test.ok()) return test.status();
  TruncateImageSet(*test, a.test_subset);
  auto model = ScriptModel::Load(a.model);
  if (!model.ok()) return model.status();
  auto stats = Evaluate(*model, *test, DatasetNormalization(spec->name, test->channels), a.batch_size, a.threads);
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
  cmd->add_option("--seed", a->train.seed, "Seed of initialisation, shuffling and dropout")->capture_default_str();
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
  cmd->add_option("--data", a->data, "fashion-mnist[:DIR], mnist:DIR or cifar10:DIR")->capture_default_str();
  cmd->add_option("--test-subset", a->test_subset, "Use only the first N test images (0: all)");
  cmd->add_option("--batch-size", a->batch_size, "Batch size")->capture_default_str();
  cmd->add_option("--threads", a->threads, "libtorch threads (0: one per core)")->capture_default_str();
  cmd->callback([a, result] { *result = RunEvaluate(*a); });
}

}  // namespace hone::compress
