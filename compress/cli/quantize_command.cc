// `hone compress quantize MODEL --config q.yaml --data fashion-mnist --out q.pt`: folds the
// batch norms, puts weights on the configured grids (rtn, obq, or trained by qat/lsq),
// calibrates activations on training images, emits an int8 model (or, for lower-bit
// activations or weights alone, a float model on the grids), and reports accuracy, size
// on disk and latency at batch 1 and 256 beside the float model's, plus a line per layer.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include <torch/script.h>

#include "compress/cli/compress_commands.h"
#include "compress/cli/model_input.h"
#include "compress/data/dataset_catalog.h"
#include "compress/graph/model_profile.h"
#include "compress/model/script_model_torch.h"
#include "compress/quant/activation_calibration.h"
#include "compress/quant/bn_folding.h"
#include "compress/quant/dynamic_quant.h"
#include "compress/quant/int8_model.h"
#include "compress/quant/obq_quant.h"
#include "compress/quant/quant_aware_training.h"
#include "compress/quant/quant_config.h"
#include "compress/quant/quant_report.h"
#include "compress/quant/weight_grids.h"
#include "compress/train/trainer.h"

namespace hone::compress {
namespace {

struct QuantizeArgs {
  std::string model, config, input = "1,1,28,28", out, report, data;
  int64_t test_subset = 0, train_subset = 0;
  uint64_t seed = 0;
  int threads = 0;
  bool channels_last = false;
  LatencyOptions latency{.warmup = 5, .repeats = 10, .threads = 1};
};

// What every quantizer leaves: the model to save and what the report says of its layers.
struct Quantized {
  std::optional<ScriptModel> model;
  std::string kind;  // "int8", "fake_quant", "float"
  std::map<std::string, ChannelParams> grids;
  std::map<std::string, double> weight_error;
  std::vector<Int8Layer> int8;  // empty when no int8 conversion ran
};

struct QuantizeInputs {
  QuantConfig config;
  ModelWithGraph net;
  std::vector<LayerQuantPlan> plans;
  std::optional<ImageSet> train, test;
  Normalization norm;
};

bool NeedsImages(const QuantConfig& c, const std::vector<LayerQuantPlan>& plans) {
  if (c.quantizer == Quantizer::kDynamic) return false;
  if (c.quantizer != Quantizer::kRtn) return true;
  return std::any_of(plans.begin(), plans.end(), [](const LayerQuantPlan& p) { return p.activations(); });
}

StatusOr<QuantizeInputs> LoadInputs(const QuantizeArgs& a) {
  auto config = LoadQuantConfig(a.config);
  if (!config.ok()) return config.status();
  auto net = LoadModelWithGraph(a.model, a.input);
  if (!net.ok()) return net.status();
  std::vector<QuantLayerRef> layers;
  for (const LayerNode& n : net->graph.nodes) {
    if (n.kind == OpKind::kConv2d || n.kind == OpKind::kLinear) {
      layers.push_back({n.name, n.kind == OpKind::kConv2d ? "Conv2d" : "Linear"});
    }
  }
  auto plans = PlanQuantization(*config, layers);
  if (!plans.ok()) return plans.status();
  QuantizeInputs in{std::move(*config), std::move(*net), std::move(*plans), {}, {}, {}};
  if (a.data.empty()) {
    if (NeedsImages(in.config, in.plans)) {
      return InvalidArgument(std::string(QuantizerName(in.config.quantizer)) +
                             " calibrates (or trains) on images: give --data");
    }
    return in;
  }
  auto spec = ParseDatasetSpec(a.data);
  if (!spec.ok()) return spec.status();
  auto test = LoadDataset(*spec, Split::kTest);
  if (!test.ok()) return test.status();
  TruncateImageSet(*test, a.test_subset);
  in.norm = DatasetNormalization(spec->name, test->channels);
  in.test = std::move(*test);
  if (NeedsImages(in.config, in.plans)) {
    auto train = LoadDataset(*spec, Split::kTrain);
    if (!train.ok()) return train.status();
    TruncateImageSet(*train, a.train_subset);
    in.train = std::move(*train);
  }
  return in;
}

std::set<std::string> Excluded(const std::vector<LayerQuantPlan>& plans) {
  std::set<std::string> out;
  for (const LayerQuantPlan& p : plans) {
    if (!p.quantized()) out.insert(p.layer);
  }
  return out;
}

std::vector<LayerGrid> Grids(const std::vector<LayerQuantPlan>& plans) {
  std::vector<LayerGrid> out;
  for (const LayerQuantPlan& p : plans) {
    if (p.quantized() && p.weight) out.push_back({p.layer, *p.weight, p.weight_per_tensor});
  }
  return out;
}

void TakeWeights(const SnappedWeights& s, Quantized& q) {
  q.grids = s.grids;
  for (const LayerWeightError& e : s.layers) q.weight_error[e.layer] = e.relative_error;
}

std::optional<QuantSpec> ActivationGrid(const std::vector<LayerQuantPlan>& plans) {
  for (const LayerQuantPlan& p : plans) {
    if (p.quantized() && p.input) return p.input;
    if (p.quantized() && p.output) return p.output;
  }
  return std::nullopt;
}

StatusOr<std::vector<ActivationPoint>> Calibrate(const QuantizeArgs& a, const QuantizeInputs& in,
                                                 const ScriptModel& model, const QuantSpec& spec) {
  auto graph = BuildLayerGraph(model, in.net.shape);
  if (!graph.ok()) return graph.status();
  std::printf("calibrating activations (%s observer, %lld batches of %lld)\n", ObserverKindName(in.config.observer.kind),
              static_cast<long long>(in.config.calibration_batches), static_cast<long long>(in.config.calibration_batch_size));
  std::fflush(stdout);
  return CalibrateActivations(model, *graph, *in.train, in.norm,
                              {.observer = in.config.observer, .spec = spec, .batches = in.config.calibration_batches,
                               .batch_size = in.config.calibration_batch_size, .seed = a.seed});
}

// Weights already on `q.grids` in `model`: calibrate and convert to int8 when the config
// quantizes activations, else keep the float model on its grids.
Status FinishStatic(const QuantizeArgs& a, const QuantizeInputs& in, ScriptModel model, Quantized& q) {
  std::optional<QuantSpec> act = ActivationGrid(in.plans);
  if (!act) {
    q.model = std::move(model);
    q.kind = "float";
    return Status::Ok();
  }
  auto points = Calibrate(a, in, model, *act);
  if (!points.ok()) return points.status();
  auto int8 = ConvertToInt8(model, *points, {.engine = in.config.engine, .weight_grids = q.grids,
                                              .exclude = Excluded(in.plans)});
  if (!int8.ok()) return int8.status();
  q.model = std::move(int8->model);
  q.int8 = std::move(int8->layers);
  q.kind = "int8";
  return Status::Ok();
}

StatusOr<Quantized> QuantizeObq(const QuantizeArgs& a, const QuantizeInputs& in, const ScriptModel& folded) {
  Quantized q;
  ScriptModel model = folded;
  std::vector<LayerGrid> grids = Grids(in.plans);
  // One OBQ pass per distinct grid, each leaving the other layers as they are.
  for (size_t i = 0; i < grids.size(); ++i) {
    if (grids[i].per_tensor) return InvalidArgument("obq uses per-channel weight grids: " + grids[i].layer + " asks per_tensor");
    bool first = true;
    for (size_t j = 0; j < i; ++j) first = first && QuantSpecName(grids[j].spec) != QuantSpecName(grids[i].spec);
    if (!first) continue;
    ObqOptions o{.spec = grids[i].spec, .batches = in.config.calibration_batches,
                 .batch_size = in.config.calibration_batch_size, .damp = in.config.obq.damp, .block = in.config.obq.block,
                 .act_order = in.config.obq.act_order, .seed = a.seed, .threads = a.threads, .progress = stdout};
    for (const LayerQuantPlan& p : in.plans) {
      if (!p.quantized() || QuantSpecName(*p.weight) != QuantSpecName(grids[i].spec)) o.exclude.insert(p.layer);
    }
    auto r = QuantizeWeightsObq(model, *in.train, in.norm, o);
    if (!r.ok()) return r.status();
    model = std::move(r->model);
    q.grids.insert(r->weight_grids.begin(), r->weight_grids.end());
    for (const LayerWeightError& e : r->layers) q.weight_error[e.layer] = e.relative_error;
  }
  HONE_RETURN_IF_ERROR(FinishStatic(a, in, std::move(model), q));
  return q;
}

StatusOr<Quantized> QuantizeQat(const QuantizeArgs& a, const QuantizeInputs& in, const ScriptModel& folded) {
  std::vector<LayerGrid> grids = Grids(in.plans);
  for (const LayerQuantPlan& p : in.plans) {
    if (!p.quantized()) return InvalidArgument("qat and lsq quantize every layer, but " + p.layer + " is not: " + p.reason);
    if (QuantSpecName(*p.weight) != QuantSpecName(grids[0].spec) || p.weight_per_tensor) {
      return InvalidArgument("qat and lsq train one per-channel weight grid for all layers, but " + p.layer + " asks " +
                             QuantSpecName(*p.weight) + (p.weight_per_tensor ? " per tensor" : ""));
    }
  }
  const QuantSpec act = ActivationGrid(in.plans).value_or(ActivationSpec(8));
  auto points = Calibrate(a, in, folded, act);
  if (!points.ok()) return points.status();
  QatOptions o{.method = in.config.quantizer == Quantizer::kQat ? QatMethod::kSte : QatMethod::kLsq,
               .weights = grids[0].spec, .activations = act};
  o.train.epochs = in.config.training.epochs;
  o.train.lr = in.config.training.lr;
  o.train.optimizer = in.config.training.optimizer;
  o.train.batch_size = in.config.training.batch_size;
  o.train.weight_decay = 0;
  o.train.seed = a.seed;
  o.train.threads = a.threads;
  o.train.progress = stdout;
  auto qat = TrainQuantAware(folded, *points, *in.train, in.test ? &*in.test : nullptr, in.norm, o);
  if (!qat.ok()) return qat.status();
  Quantized q;
  q.grids = qat->weight_grids;
  if (act.bits != 8) {  // the int8 kernels cannot hold lower-bit activations exactly
    q.model = std::move(qat->model);
    q.kind = "fake_quant";
    return q;
  }
  auto int8 = ConvertToInt8(qat->weights, qat->points, {.engine = in.config.engine, .weight_grids = q.grids});
  if (!int8.ok()) return int8.status();
  q.model = std::move(int8->model);
  q.int8 = std::move(int8->layers);
  q.kind = "int8";
  return q;
}

StatusOr<Quantized> Quantize(const QuantizeArgs& a, const QuantizeInputs& in) {
  auto folded = FoldBatchNorms(in.net.model);
  if (!folded.ok()) return folded.status();
  std::printf("folded %zu batch norms\n", folded->folded.size());
  const Quantizer kind = in.config.quantizer;
  if (kind == Quantizer::kObq) return QuantizeObq(a, in, folded->model);
  if (kind == Quantizer::kQat || kind == Quantizer::kLsq) return QuantizeQat(a, in, folded->model);
  auto snapped = SnapWeights(folded->model, Grids(in.plans));
  if (!snapped.ok()) return snapped.status();
  Quantized q;
  TakeWeights(*snapped, q);
  if (kind == Quantizer::kDynamic) {
    auto dyn = QuantizeDynamic(snapped->model, {.engine = in.config.engine, .weight_grids = q.grids,
                                                .exclude = Excluded(in.plans)});
    if (!dyn.ok()) return dyn.status();
    q.model = std::move(dyn->model);
    q.int8 = std::move(dyn->layers);
    q.kind = "int8";
    return q;
  }
  HONE_RETURN_IF_ERROR(FinishStatic(a, in, std::move(snapped->model), q));
  return q;
}

std::vector<int64_t> WithBatch(std::vector<int64_t> shape, int64_t n) {
  shape[0] = n;
  return shape;
}

// Accuracy on the test split and latency at batch 1 and 256 (size is the caller's).
Status Measure(const QuantizeArgs& a, const QuantizeInputs& in, const ScriptModel& model, ModelFigures& f) {
  if (in.test) {
    auto acc = Evaluate(const_cast<ScriptModel&>(model), *in.test, in.norm, 500, a.threads);
    if (!acc.ok()) return acc.status();
    f.accuracy = acc->accuracy;
    f.test_images = acc->count;
  }
  LatencyOptions lat = a.latency;
  lat.channels_last = a.channels_last;
  auto b1 = MeasureLatency(model, WithBatch(in.net.shape, 1), lat);
  if (!b1.ok()) return b1.status();
  auto b256 = MeasureLatency(model, WithBatch(in.net.shape, 256), lat);
  if (!b256.ok()) return b256.status();
  SetTorchThreads(a.threads);
  f.latency_ms_batch1 = b1->median;
  f.latency_ms_batch256 = b256->median;
  return Status::Ok();
}

// The float model as PyTorch users deploy it: frozen and optimize_for_inference'd.
StatusOr<ScriptModel> OptimizedForInference(const ScriptModel& model) {
  try {
    torch::jit::Module m = ModuleOf(model).clone();
    m.eval();
    return WrapModule(torch::jit::optimize_for_inference(m));
  } catch (const std::exception& e) {
    return InvalidArgument("optimize_for_inference: " + TorchErrorMessage(e));
  }
}

std::vector<LayerQuantReport> LayerLines(const QuantizeInputs& in, const Quantized& q) {
  std::vector<LayerQuantReport> out;
  for (const LayerQuantPlan& p : in.plans) {
    LayerQuantReport l{.name = p.layer, .op = p.op_type, .quantized = p.quantized(), .reason = p.reason};
    auto int8 = std::find_if(q.int8.begin(), q.int8.end(), [&](const Int8Layer& x) { return x.layer == p.layer; });
    if (int8 != q.int8.end()) {
      l.quantized = int8->quantized;
      if (!int8->quantized && l.reason.empty()) l.reason = int8->reason;
      l.input_scale = int8->input_scale;
      l.output_scale = int8->output_scale;
      l.input_zero_point = int8->input_zero_point;
      l.output_zero_point = int8->output_zero_point;
      l.weight_relative_error = int8->weight_relative_error;
    }
    if (l.quantized && p.weight) l.weight_bits = p.weight->bits;
    if (l.quantized && q.kind != "float") l.activation_bits = p.input ? p.input->bits : p.output ? p.output->bits : 0;
    if (auto g = q.grids.find(p.layer); l.quantized && g != q.grids.end() && !g->second.scales.empty()) {
      l.weight_scale_min = *std::min_element(g->second.scales.begin(), g->second.scales.end());
      l.weight_scale_max = *std::max_element(g->second.scales.begin(), g->second.scales.end());
    }
    if (auto e = q.weight_error.find(p.layer); l.quantized && e != q.weight_error.end()) {
      l.weight_relative_error = e->second;
    }
    out.push_back(std::move(l));
  }
  return out;
}

Status RunQuantize(const QuantizeArgs& a) {
  SetTorchThreads(a.threads);
  auto in = LoadInputs(a);
  if (!in.ok()) return in.status();
  auto q = Quantize(a, *in);
  if (!q.ok()) return q.status();
  HONE_RETURN_IF_ERROR(q->model->Save(a.out));
  std::printf("saved %s (%s)\n", a.out.c_str(), q->kind.c_str());
  QuantReport r{.model = a.model, .output = a.out, .quantizer = QuantizerName(in->config.quantizer),
                .engine = QuantEngineName(in->config.engine), .observer = ObserverKindName(in->config.observer.kind),
                .output_kind = q->kind};
  r.latency_threads = a.latency.threads;
  r.latency_warmup = a.latency.warmup;
  r.latency_repeats = a.latency.repeats;
  r.channels_last = a.channels_last;
  r.layers = LayerLines(*in, *q);
  auto optimized = OptimizedForInference(in->net.model);
  if (!optimized.ok()) return optimized.status();
  r.float_model.size_bytes = static_cast<int64_t>(std::filesystem::file_size(a.model));
  r.quantized.size_bytes = static_cast<int64_t>(std::filesystem::file_size(a.out));
  HONE_RETURN_IF_ERROR(Measure(a, *in, *optimized, r.float_model));
  HONE_RETURN_IF_ERROR(UseQuantEngine(in->config.engine));
  HONE_RETURN_IF_ERROR(Measure(a, *in, *q->model, r.quantized));
  PrintQuantReport(r, stdout);
  if (!a.report.empty()) HONE_RETURN_IF_ERROR(WriteQuantReport(r, a.report));
  return Status::Ok();
}

}  // namespace

void SetupQuantizeCommand(CLI::App& app, Status* result) {
  auto a = std::make_shared<QuantizeArgs>();
  auto* cmd = app.add_subcommand("quantize", "Quantize a TorchScript model as a config list says (int8 PTQ, dynamic, "
                                             "QAT, LSQ, OBQ, round to nearest)");
  AddModelOptions(*cmd, a->model, a->input);
  cmd->add_option("--config", a->config, "Quantization configuration (YAML: quantizer, config_list)")->required();
  cmd->add_option("--out", a->out, "Where to save the quantized model (.pt)")->required();
  cmd->add_option("--report", a->report, "Also write the report as JSON here");
  cmd->add_option("--data", a->data, "Calibrate (and train) on this data set's training split, evaluate on its test split");
  cmd->add_option("--test-subset", a->test_subset, "Evaluate on the first N test images only (0: all)");
  cmd->add_option("--train-subset", a->train_subset, "Calibrate and train on the first N training images (0: all)");
  cmd->add_option("--seed", a->seed, "Seed of calibration batches and training")->capture_default_str();
  cmd->add_option("--threads", a->threads, "libtorch threads (0: one per core)");
  cmd->add_flag("--channels-last", a->channels_last, "Time latency with input and 4-d weights laid out NHWC");
  cmd->add_option("--latency-threads", a->latency.threads, "libtorch threads while timing latency (0: one per core)")
      ->capture_default_str();
  cmd->add_option("--latency-repeats", a->latency.repeats, "Timed runs per model and batch size (after 5 warm-up runs)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback([a, result] { *result = RunQuantize(*a); });
}

}  // namespace hone::compress
