// `hone compress amc-trial MODEL --data fashion-mnist --held-out 1000 [budget options as
// amc-space]`: the trial command of an AMC experiment. It reads the trial's keep ratios
// (hone's trial parameters, or --params FILE outside an experiment), applies the action
// wall (so the FLOPs budget holds whatever the configuration says), keeps in each channel
// group the channels the base pruner (--ranking l1|l2|fpgm) ranks best, and reports the
// masked model's accuracy on the LAST --held-out images of the training split, without
// fine-tuning, as the final metric; extra keys: flops, flops_ratio, params_kept (the
// keep ratios applied) and latency_ms of the sped-up model (--latency-repeats 0: none).
#include <cstdio>
#include <fstream>
#include <sstream>

#include <hone/trial.h>

#include "compress/amc/policy_evaluator.h"
#include "compress/cli/amc_setup.h"
#include "compress/cli/compress_commands.h"
#include "compress/data/dataset_catalog.h"
#include "compress/graph/model_profile.h"
#include "compress/prune/pruner_kind.h"
#include "compress/prune/speedup.h"
#include "compress/train/batchnorm_calibration.h"

namespace hone::compress {
namespace {

using nlohmann::json;

struct TrialArgs {
  AmcSetupArgs setup;
  std::string data = "fashion-mnist";
  int64_t held_out = 1000;
  std::string ranking = "l1";
  std::string params;  // a configuration file outside an experiment
  int threads = 1;
  int latency_repeats = 10;
  std::string out;  // also save the sped-up model of the policy
  int64_t calibrate_bn = 0;  // batches of the training images before the held-out ones
};

// The last `n` images of `set` (all when n <= 0 or n >= count).
void KeepLast(ImageSet& set, int64_t n) {
  if (n <= 0 || n >= set.count) return;
  const int64_t skip = set.count - n;
  set.pixels.erase(set.pixels.begin(), set.pixels.begin() + skip * set.image_size());
  set.labels.erase(set.labels.begin(), set.labels.begin() + skip);
  set.count = n;
}

StatusOr<json> ReadParams(const TrialArgs& a) {
  if (!a.params.empty()) {
    std::ifstream f(a.params);
    std::stringstream text;
    text << f.rdbuf();
    json j = json::parse(text.str(), nullptr, false);
    if (!f || j.is_discarded()) return InvalidArgument("cannot read a JSON configuration from " + a.params);
    return j.contains("parameters") ? j["parameters"] : j;
  }
  if (!hone::trial::RunningUnderHone())
    return InvalidArgument("amc-trial takes its keep ratios from a hone trial's parameters, but this process is "
                           "not a hone trial (HONE_PARAMS is unset): give --params FILE");
  return hone::trial::GetParams();
}

// The sped-up model's latency (-1 when not asked for), and the model saved to --out (its
// batch norms re-estimated as the reward's were, with --calibrate-bn).
StatusOr<double> LatencyAndSave(const TrialArgs& a, AmcSetup& setup, const PolicyEvaluator& eval,
                                const ImageSet& calibration, const Normalization& norm) {
  if (a.latency_repeats <= 0 && a.out.empty()) return -1.0;
  auto small = Speedup(setup.net.model, setup.net.graph, setup.groups, eval.KeptChannels(setup.env.Widths()));
  if (!small.ok()) return small.status();
  if (!a.out.empty() && a.calibrate_bn > 0) {
    auto n = CalibrateBatchNorm(*small, calibration, norm, {.batches = a.calibrate_bn, .threads = a.threads});
    if (!n.ok()) return n.status();
  }
  if (!a.out.empty()) HONE_RETURN_IF_ERROR(small->Save(a.out));
  if (a.latency_repeats <= 0) return -1.0;
  return MeasureLatencyMs(*small, setup.net.shape, {.repeats = a.latency_repeats, .threads = a.threads});
}

Status RunAmcTrial(const TrialArgs& a) {
  auto params = ReadParams(a);
  if (!params.ok()) return params.status();
  auto setup = LoadAmcSetup(a.setup);
  if (!setup.ok()) return setup.status();
  auto actions = ActionsFromParams(setup->env, *params);
  if (!actions.ok()) return actions.status();
  const std::vector<double> keeps = setup->env.RunPolicy(*actions);
  if (setup->env.Flops() > setup->env.TargetFlops()) return Internal("amc: the action wall let a policy miss the budget");
  auto kind = ParsePrunerKind(a.ranking);
  if (!kind) return InvalidArgument("--ranking must be l1, l2 or fpgm, not '" + a.ranking + "'");
  auto spec = ParseDatasetSpec(a.data);
  if (!spec.ok()) return spec.status();
  auto images = LoadDataset(*spec, Split::kTrain);
  if (!images.ok()) return images.status();
  ImageSet calibration;  // the images before the held-out ones, as pruner: amc splits them
  if (a.calibrate_bn > 0) {
    calibration = *images;
    if (a.held_out > 0 && a.held_out < images->count) TruncateImageSet(calibration, images->count - a.held_out);
  }
  KeepLast(*images, a.held_out);
  const Normalization norm = DatasetNormalization(spec->name, images->channels);
  auto eval = PolicyEvaluator::Create(setup->net.model, setup->net.graph, setup->groups, *images, norm,
                                      {.ranking = *kind, .threads = a.threads, .calibrate_bn = a.calibrate_bn,
                                       .calibration = a.calibrate_bn > 0 ? &calibration : nullptr});
  if (!eval.ok()) return eval.status();
  auto accuracy = eval->Accuracy(setup->env.Widths());
  if (!accuracy.ok()) return accuracy.status();
  auto latency = LatencyAndSave(a, *setup, *eval, calibration, norm);
  if (!latency.ok()) return latency.status();
  const double ratio = static_cast<double>(setup->env.Flops()) / static_cast<double>(setup->env.DenseFlops());
  std::fprintf(stderr, "amc trial: accuracy %.4f on %lld held-out images, FLOPs %lld (%.3f of dense, budget %.3f)%s\n",
               *accuracy, static_cast<long long>(images->count), static_cast<long long>(setup->env.Flops()), ratio,
               a.setup.flops_ratio, *latency >= 0 ? (", latency " + std::to_string(*latency) + " ms").c_str() : "");
  json report = {{"default", *accuracy}, {"flops", setup->env.Flops()}, {"flops_ratio", ratio},
                 {"keeps", ParamsFromActions(setup->env, keeps)}};
  if (*latency >= 0) report["latency_ms"] = *latency;
  if (hone::trial::RunningUnderHone()) {
    report.erase("keeps");  // metrics are numbers; the keeps are the trial's parameters already
    hone::trial::ReportFinal(report);
  } else {
    std::printf("%s\n", report.dump().c_str());
  }
  return Status();
}

}  // namespace

void SetupAmcTrialCommand(CLI::App& app, Status* result) {
  auto a = std::make_shared<TrialArgs>();
  auto* cmd = app.add_subcommand("amc-trial", "An AMC experiment's trial: prune MODEL to the trial's keep ratios, "
                                              "report held-out accuracy, FLOPs and latency");
  AddAmcSetupOptions(*cmd, a->setup);
  cmd->add_option("--data", a->data, "fashion-mnist[:DIR], mnist:DIR or cifar10:DIR (its training split)")
      ->capture_default_str();
  cmd->add_option("--held-out", a->held_out, "Evaluate on the last N training images (0: all)")->capture_default_str();
  cmd->add_option("--ranking", a->ranking, "Channels kept within a group: l1, l2 or fpgm")->capture_default_str();
  cmd->add_option("--params", a->params, "A configuration file (JSON) when not running as a hone trial");
  cmd->add_option("--threads", a->threads, "libtorch threads")->capture_default_str();
  cmd->add_option("--latency-repeats", a->latency_repeats, "Timed runs of the sped-up model (0: no latency)")
      ->capture_default_str();
  cmd->add_option("--out", a->out, "Also save the model pruned to this policy (sped up, TorchScript .pt)");
  cmd->add_option("--calibrate-bn", a->calibrate_bn,
                  "Re-estimate batch norms on N batches of the training images before the held-out ones, as "
                  "pruner: amc's calibrate_bn (0: off)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->callback([a, result] { *result = RunAmcTrial(*a); });
}

}  // namespace hone::compress
