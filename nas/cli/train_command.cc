// `hone nas train`: builds one architecture's network and trains it on a data set. The
// architecture comes from an architecture file, or, with --space and no file, from the
// parameters hone gives a trial: so `hone nas train --space nb201-small ...` is the trial
// command of a multi-trial search over that space, reporting the test accuracy after
// every epoch (for assessors and Hyperband/BOHB) and at the end. As a trial it also
// leaves the architecture in the trial's output directory (HONE_OUTPUT_DIR, which the web
// UI shows on the trial's page): cell.svg (DARTS cells: and cell-reduce.svg), arch.txt
// (the text description; chain spaces have no picture) and arch.yaml, which
// `hone nas train arch.yaml` trains again.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include <hone/trial.h>

#include "compress/data/dataset_catalog.h"
#include "compress/train/trainer.h"
#include "nas/cli/nas_commands.h"
#include "nas/model/arch_model.h"
#include "nas/space/arch_file.h"
#include "nas/space/builtin_spaces.h"
#include "nas/space/cell_svg.h"
#include "nas/space/space_reader.h"

namespace hone::nas {
namespace {

struct TrainArgs {
  std::string arch_file;
  std::string space;
  std::string data = "fashion-mnist";
  std::string out;
  int64_t train_subset = 0;
  int64_t test_subset = 0;
  compress::TrainOptions train;
};

// Trial parameters that are not decisions may set these training options.
Status ApplyTrainingParams(nlohmann::json& params, compress::TrainOptions& t, TrainArgs& a) {
  const std::set<std::string> known = {"lr", "epochs", "batch_size", "weight_decay", "optimizer", "train_subset"};
  for (const std::string& key : known) {
    if (!params.contains(key)) continue;
    const nlohmann::json v = params[key];
    params.erase(key);
    if (key == "optimizer" ? !v.is_string() : !v.is_number()) return InvalidArgument("trial parameter " + key + " = " + v.dump() + " has the wrong type");
    if (key == "lr") t.lr = v.get<double>();
    if (key == "epochs") t.epochs = v.get<int>();
    if (key == "batch_size") t.batch_size = v.get<int64_t>();
    if (key == "weight_decay") t.weight_decay = v.get<double>();
    if (key == "optimizer") t.optimizer = v.get<std::string>();
    if (key == "train_subset") a.train_subset = v.get<int64_t>();
  }
  return Status::Ok();
}

struct Chosen {
  ModelSpace space;
  Architecture arch;
  std::string origin;
  std::string space_ref;  // how an architecture file written elsewhere names the space; "" = inline
};

// A space reference that still reads from another directory: built-in names as they are,
// paths made absolute (relative ones are taken from `base_dir`).
std::string PortableSpaceRef(const std::string& ref, const std::filesystem::path& base_dir) {
  if (ref.empty() || BuiltinSpaceText(ref) || std::filesystem::path(ref).is_absolute()) return ref;
  std::error_code ec;
  auto path = std::filesystem::absolute(base_dir / ref, ec);
  return ec ? ref : path.lexically_normal().string();
}

StatusOr<Chosen> ChooseArchitecture(TrainArgs& a) {
  if (!a.arch_file.empty()) {
    auto file = ReadArchitectureFile(a.arch_file);
    if (!file.ok()) return file.status();
    std::string ref = PortableSpaceRef(file->space_ref, std::filesystem::path(a.arch_file).parent_path());
    return Chosen{file->space, file->arch, a.arch_file, ref};
  }
  if (a.space.empty()) return InvalidArgument("give an architecture file, or --space when running as a hone trial");
  auto space = LoadModelSpace(a.space);
  if (!space.ok()) return space.status();
  if (!hone::trial::RunningUnderHone()) {
    return InvalidArgument("--space without an architecture file takes the architecture from a hone trial's "
                           "parameters, but this process is not a hone trial (HONE_PARAMS is unset)");
  }
  nlohmann::json params = hone::trial::GetParams();
  HONE_RETURN_IF_ERROR(ApplyTrainingParams(params, a.train, a));
  auto arch = ArchitectureOf(*space, params);
  if (!arch.ok()) return arch.status();
  return Chosen{*space, *arch, "trial " + hone::trial::TrialId(), PortableSpaceRef(a.space, ".")};
}

Status WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  return file.flush() ? Status::Ok() : IoError("cannot write " + path.string());
}

// The architecture's files in the trial's output directory (see the top of this file).
Status WriteTrialOutputs(const TrainArgs& a, const Chosen& chosen) {
  const std::filesystem::path dir = hone::trial::OutputDir();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create the trial's output directory " + dir.string() + ": " + ec.message());
  const ModelSpace& space = chosen.space;
  HONE_RETURN_IF_ERROR(WriteFile(dir / "arch.txt", DescribeArchitecture(space, chosen.arch)));
  if (chosen.space_ref.empty()) {  // an inline space: the architecture file as it is
    std::filesystem::copy_file(a.arch_file, dir / "arch.yaml", std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) return IoError("cannot copy " + a.arch_file + " to " + (dir / "arch.yaml").string() + ": " + ec.message());
  } else {
    HONE_RETURN_IF_ERROR(WriteFile(dir / "arch.yaml", ArchitectureFileText(chosen.space_ref, space, ConfigOf(space, chosen.arch))));
  }
  if (space.kind != SpaceKind::kCell) return Status::Ok();
  const bool darts = space.cell.style == CellStyle::kDarts;
  HONE_RETURN_IF_ERROR(WriteFile(dir / "cell.svg", CellSvg(space, chosen.arch.normal, darts ? "normal cell" : "cell")));
  if (!darts || chosen.arch.reduce.edges.empty()) return Status::Ok();
  return WriteFile(dir / "cell-reduce.svg", CellSvg(space, chosen.arch.reduce, "reduction cell"));
}

Status RunTrain(TrainArgs& a) {
  auto chosen = ChooseArchitecture(a);
  if (!chosen.ok()) return chosen.status();
  HONE_RETURN_IF_ERROR(compress::ValidateTrainOptions(a.train));
  auto train = compress::LoadDataset(a.data, compress::Split::kTrain);
  if (!train.ok()) return train.status();
  auto test = compress::LoadDataset(a.data, compress::Split::kTest);
  if (!test.ok()) return test.status();
  compress::TruncateImageSet(*train, a.train_subset);
  compress::TruncateImageSet(*test, a.test_subset);
  ModelSpace& space = chosen->space;
  space.input = {train->channels, train->height, train->width};
  space.classes = train->num_classes;
  auto model = BuildArchitectureModel(space, chosen->arch, a.train.seed);
  if (!model.ok()) return model.status();
  const bool trial = hone::trial::RunningUnderHone();
  std::FILE* log = trial ? stderr : stdout;
  std::fprintf(log, "%s of space %s: %lld parameters\n%s", chosen->origin.c_str(), space.name.c_str(),
               static_cast<long long>(model->NumParameters()), DescribeArchitecture(space, chosen->arch).c_str());
  a.train.progress = log;
  if (trial) {
    Status written = WriteTrialOutputs(a, *chosen);
    if (!written.ok()) std::fprintf(stderr, "warning: %s\n", written.message().c_str());
  }
  auto name = compress::ParseDatasetSpec(a.data);
  auto norm = compress::DatasetNormalization(name.ok() ? name->name : a.data, train->channels);
  auto history = compress::Train(*model, *train, &*test, norm, a.train, [trial](const compress::EpochStats& s) {
    if (trial) hone::trial::ReportIntermediate(s.test.accuracy);
  });
  if (!history.ok()) return history.status();
  if (!a.out.empty()) HONE_RETURN_IF_ERROR(model->Save(a.out));
  const compress::EpochStats& last = history->back();
  if (trial) {
    hone::trial::ReportFinal({{"default", last.test.accuracy}, {"test_loss", last.test.loss},
                              {"parameters", model->NumParameters()}, {"epoch_seconds", last.seconds}});
  }
  std::fprintf(log, "test accuracy %.2f%%%s%s\n", 100 * last.test.accuracy, a.out.empty() ? "" : "; saved ",
               a.out.c_str());
  return Status::Ok();
}

}  // namespace

void SetupTrainCommand(CLI::App& app, Status* result) {
  auto a = std::make_shared<TrainArgs>();
  a->train.threads = 1;
  auto* cmd = app.add_subcommand("train", "Train one architecture (a file, or a hone trial's parameters with --space)");
  cmd->add_option("arch", a->arch_file, "Architecture file (ARCH.yaml)");
  cmd->add_option("--space", a->space, "As a trial: the model space whose decisions the trial's parameters are");
  cmd->add_option("--data", a->data, "fashion-mnist[:DIR], mnist:DIR or cifar10:DIR")->capture_default_str();
  cmd->add_option("--out", a->out, "Save the trained network here (.pt, TorchScript)");
  cmd->add_option("--epochs", a->train.epochs, "Epochs")->capture_default_str();
  cmd->add_option("--optimizer", a->train.optimizer, "sgd, adam or adamw")->capture_default_str();
  cmd->add_option("--lr", a->train.lr, "Initial learning rate")->capture_default_str();
  cmd->add_option("--weight-decay", a->train.weight_decay, "Weight decay")->capture_default_str();
  cmd->add_option("--batch-size", a->train.batch_size, "Training batch size")->capture_default_str();
  cmd->add_option("--threads", a->train.threads, "libtorch threads (0: one per core)")->capture_default_str();
  cmd->add_option("--crop-padding", a->train.crop_padding,
                  "Augment: random crops of the images padded with N black pixels (0: none)")
      ->capture_default_str();
  cmd->add_flag("--flip", a->train.flip, "Augment: mirror images left-right at random");
  cmd->add_option("--device", a->train.device, "cpu, cuda or auto (cuda when libtorch sees a GPU)")
      ->capture_default_str();
  cmd->add_option("--seed", a->train.seed, "Seed of initialisation, shuffling and augmentation")->capture_default_str();
  cmd->add_option("--train-subset", a->train_subset, "Use only the first N training images (0: all)");
  cmd->add_option("--test-subset", a->test_subset, "Use only the first N test images (0: all)");
  cmd->callback([a, result] { *result = RunTrain(*a); });
}

}  // namespace hone::nas
