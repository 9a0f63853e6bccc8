// `hone nas search SPACE --strategy darts|gdas|enas|spos`: a one-shot search on a data
// set's training images; writes the chosen architecture as an architecture file (for
// `hone nas train`) and, with --model, the network with the supernet's weights.
#include <cstdio>
#include <fstream>
#include <memory>

#include "compress/data/dataset_catalog.h"
#include "nas/cli/nas_commands.h"
#include "nas/oneshot/oneshot_search.h"
#include "nas/space/arch_file.h"
#include "nas/space/space_reader.h"

namespace hone::nas {
namespace {

struct SearchArgs {
  std::string space;
  std::string strategy = "darts";
  std::string data = "fashion-mnist";
  std::string out = "arch.yaml";
  std::string model;
  int64_t train_subset = 0;
  OneShotOptions options;
};

Status RunSearch(SearchArgs& a) {
  auto strategy = ParseOneShotStrategy(a.strategy);
  if (!strategy.ok()) return strategy.status();
  a.options.strategy = *strategy;
  auto space = LoadModelSpace(a.space);
  if (!space.ok()) return space.status();
  auto train = compress::LoadDataset(a.data, compress::Split::kTrain);
  if (!train.ok()) return train.status();
  compress::TruncateImageSet(*train, a.train_subset);
  space->input = {train->channels, train->height, train->width};
  space->classes = train->num_classes;
  auto name = compress::ParseDatasetSpec(a.data);
  a.options.progress = stdout;
  std::printf("%s search of space %s on %lld images (half train the weights, half score the architecture)\n",
              a.strategy.c_str(), space->name.c_str(), static_cast<long long>(train->count));
  std::fflush(stdout);
  auto result = SearchOneShot(*space, *train,
                              compress::DatasetNormalization(name.ok() ? name->name : a.data, train->channels),
                              a.options);
  if (!result.ok()) return result.status();
  if (!result->stopped.empty()) std::printf("%s\n", result->stopped.c_str());
  std::ofstream file(a.out);
  file << ArchitectureFileText(a.space, *space, result->config);
  if (!file.flush()) return IoError("cannot write " + a.out);
  std::printf("chosen architecture (written to %s):\n%s", a.out.c_str(),
              DescribeArchitecture(*space, result->arch).c_str());
  if (!a.model.empty()) {
    HONE_RETURN_IF_ERROR(result->model->Save(a.model));
    std::printf("network with the supernet's weights saved to %s\n", a.model.c_str());
  }
  return Status::Ok();
}

}  // namespace

void SetupSearchCommand(CLI::App& app, Status* result) {
  auto a = std::make_shared<SearchArgs>();
  auto* cmd = app.add_subcommand("search", "One-shot architecture search: darts, gdas, enas or spos over a cell space, spos over a chain space");
  cmd->add_option("space", a->space, "A built-in space's name or a YAML file")->required();
  cmd->add_option("--strategy", a->strategy, "darts, gdas, enas or spos")->capture_default_str();
  cmd->add_option("--data", a->data, "fashion-mnist[:DIR], mnist:DIR or cifar10:DIR")->capture_default_str();
  cmd->add_option("--out", a->out, "Architecture file to write")->capture_default_str();
  cmd->add_option("--model", a->model, "Also save the chosen network with the supernet's weights (.pt)");
  cmd->add_option("--epochs", a->options.epochs, "Search epochs")->capture_default_str();
  cmd->add_option("--batch-size", a->options.batch_size, "Batch size")->capture_default_str();
  cmd->add_option("--lr", a->options.lr, "Weights' learning rate (SGD, cosine)")->capture_default_str();
  cmd->add_option("--arch-lr", a->options.arch_lr, "Architecture (alpha or controller) learning rate")
      ->capture_default_str();
  cmd->add_option("--max-skip", a->options.max_skip, "darts, gdas: stop when the cell has more skips (-1: never)")
      ->capture_default_str();
  cmd->add_option("--candidates", a->options.candidates, "spos: architectures scored after training")
      ->capture_default_str();
  cmd->add_option("--max-params", a->options.max_parameters,
                  "spos on chain spaces: pick only networks with at most this many parameters (0: any)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-macs", a->options.max_macs,
                  "spos on chain spaces: pick only networks with at most this many multiply-accumulates per image (0: any)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--train-subset", a->train_subset, "Use only the first N training images (0: all)");
  cmd->add_option("--threads", a->options.threads, "libtorch threads")->capture_default_str();
  cmd->add_option("--seed", a->options.seed, "Seed")->capture_default_str();
  cmd->callback([a, result] { *result = RunSearch(*a); });
}

}  // namespace hone::nas
