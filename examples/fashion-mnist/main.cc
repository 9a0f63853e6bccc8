// A libtorch trial: trains hone's cnn2 zoo model on Fashion-MNIST under the configuration
// hone passes in (HONE_PARAMS), reports test accuracy after every epoch and at the end.
// Parameters (all optional): lr, width, depth, batch_size, dropout, weight_decay,
// optimizer (sgd | adam | adamw, or a nested choice {"_name": ..., "lr": ..., "momentum": ...}),
// epochs, train_subset, test_subset, threads, seed.
#include <cstdio>
#include <string>

#include <hone/trial.h>

#include "compress/data/dataset_catalog.h"
#include "compress/model/tensor_allocator.h"
#include "compress/train/trainer.h"
#include "compress/zoo/model_zoo.h"

namespace {

using namespace hone::compress;

int Fail(const hone::Status& status) {
  std::fprintf(stderr, "fashion-mnist trial: %s\n", status.message().c_str());
  return 1;
}

}  // namespace

int main() {
  hone::compress::KeepTensorBuffersInHeap();
  nlohmann::json params = hone::trial::GetParams();
  TrainOptions opt;
  opt.lr = params.value("lr", 0.05);
  opt.optimizer = "sgd";
  opt.momentum = params.value("momentum", opt.momentum);
  if (params.contains("optimizer")) {
    const nlohmann::json& o = params["optimizer"];
    if (o.is_string()) {
      opt.optimizer = o.get<std::string>();
    } else if (o.is_object()) {  // a nested choice carries its own parameters
      opt.optimizer = o.value("_name", "sgd");
      opt.lr = o.value("lr", opt.lr);
      opt.momentum = o.value("momentum", opt.momentum);
    }
  }
  if (opt.optimizer != "sgd" && !params.contains("lr") &&
      !(params.contains("optimizer") && params["optimizer"].is_object() && params["optimizer"].contains("lr"))) {
    opt.lr = 1e-3;
  }
  opt.batch_size = params.value("batch_size", 128);
  opt.weight_decay = params.value("weight_decay", 5e-4);
  opt.epochs = params.value("epochs", 3);
  opt.threads = params.value("threads", 1);
  opt.seed = params.value("seed", 0);
  opt.progress = stderr;

  ZooSpec spec;
  spec.name = "cnn2";
  spec.base_width = params.value("width", 32);
  spec.depth = params.value("depth", 2);
  spec.dropout = params.value("dropout", 0.0);
  spec.seed = opt.seed;

  auto train = LoadDataset("fashion-mnist", Split::kTrain);
  if (!train.ok()) return Fail(train.status());
  auto test = LoadDataset("fashion-mnist", Split::kTest);
  if (!test.ok()) return Fail(test.status());
  TruncateImageSet(*train, params.value("train_subset", 10000));
  TruncateImageSet(*test, params.value("test_subset", 10000));
  auto model = BuildZooModel(spec);
  if (!model.ok()) return Fail(model.status());

  auto history = Train(*model, *train, &*test, DatasetNormalization("fashion-mnist", 1), opt,
                       [](const EpochStats& s) { hone::trial::ReportIntermediate(s.test.accuracy); });
  if (!history.ok()) return Fail(history.status());
  const EpochStats& last = history->back();
  hone::trial::ReportFinal({{"default", last.test.accuracy},
                            {"test_loss", last.test.loss},
                            {"train_loss", last.train_loss},
                            {"epoch_seconds", last.seconds},
                            {"parameters", model->NumParameters()}});
  return 0;
}
