#include "compress/quant/quant_report.h"

#include <fstream>

#include <nlohmann/json.hpp>

namespace hone::compress {
namespace {

std::string Cell(double v, const char* format) {
  if (v < 0) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

void PrintModelRow(const char* name, const ModelFigures& f, std::FILE* out) {
  std::fprintf(out, "%-10s %10s %12lld %12s %12s\n", name, Cell(100 * f.accuracy, "%.2f%%").c_str(),
               static_cast<long long>(f.size_bytes), Cell(f.latency_ms_batch1, "%.3f").c_str(),
               Cell(f.latency_ms_batch256, "%.2f").c_str());
}

nlohmann::json Figures(const ModelFigures& f) {
  nlohmann::json j = {{"size_bytes", f.size_bytes}};
  if (f.accuracy >= 0) j["accuracy"] = f.accuracy, j["test_images"] = f.test_images;
  nlohmann::json lat = nlohmann::json::object();
  if (f.latency_ms_batch1 >= 0) lat["batch_1"] = f.latency_ms_batch1;
  if (f.latency_ms_batch256 >= 0) lat["batch_256"] = f.latency_ms_batch256;
  j["latency_ms"] = lat;
  return j;
}

}  // namespace

void PrintQuantReport(const QuantReport& r, std::FILE* out) {
  std::fprintf(out, "%-24s %-7s %4s %4s %10s %10s %21s %9s  %s\n", "layer", "type", "w", "a", "in scale",
               "out scale", "weight scales", "w error", "");
  for (const LayerQuantReport& l : r.layers) {
    if (!l.quantized) {
      std::fprintf(out, "%-24s %-7s float: %s\n", l.name.c_str(), l.op.c_str(), l.reason.c_str());
      continue;
    }
    const std::string a = l.activation_bits > 0 ? std::to_string(l.activation_bits) : "f";
    std::fprintf(out, "%-24s %-7s %4d %4s %10s %10s %10.3g-%-10.3g %9.4f\n", l.name.c_str(), l.op.c_str(),
                 l.weight_bits, a.c_str(), Cell(l.input_scale > 0 ? l.input_scale : -1, "%.4g").c_str(),
                 Cell(l.output_scale > 0 ? l.output_scale : -1, "%.4g").c_str(), l.weight_scale_min,
                 l.weight_scale_max, l.weight_relative_error);
  }
  std::fprintf(out, "\n%-10s %10s %12s %12s %12s\n", "model", "accuracy", "size (B)", "ms batch 1", "ms batch 256");
  PrintModelRow("float", r.float_model, out);
  PrintModelRow("quantized", r.quantized, out);
  std::fprintf(out, "%s model (%s, %s engine); latency: median of %d runs after %d warm-up, %d thread%s, %s; float timed "
               "after optimize_for_inference\n", r.output_kind.c_str(), r.quantizer.c_str(), r.engine.c_str(), r.latency_repeats,
               r.latency_warmup, r.latency_threads, r.latency_threads == 1 ? "" : "s",
               r.channels_last ? "channels last" : "contiguous");
}

std::string QuantReportJson(const QuantReport& r) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerQuantReport& l : r.layers) {
    layers.push_back({{"name", l.name}, {"op", l.op}, {"quantized", l.quantized}, {"reason", l.reason},
                      {"weight_bits", l.weight_bits}, {"activation_bits", l.activation_bits},
                      {"input_scale", l.input_scale}, {"input_zero_point", l.input_zero_point},
                      {"output_scale", l.output_scale}, {"output_zero_point", l.output_zero_point},
                      {"weight_scale_min", l.weight_scale_min}, {"weight_scale_max", l.weight_scale_max},
                      {"weight_relative_error", l.weight_relative_error}});
  }
  nlohmann::json j = {{"model", r.model}, {"output", r.output}, {"quantizer", r.quantizer}, {"engine", r.engine},
                      {"observer", r.observer}, {"output_kind", r.output_kind},
                      {"float", Figures(r.float_model)}, {"quantized", Figures(r.quantized)},
                      {"latency", {{"threads", r.latency_threads}, {"warmup", r.latency_warmup},
                                   {"repeats", r.latency_repeats}, {"float_model", "optimize_for_inference"},
                                   {"layout", r.channels_last ? "channels_last" : "contiguous"}}},
                      {"layers", layers}};
  return j.dump(2);
}

Status WriteQuantReport(const QuantReport& r, const std::string& path) {
  std::ofstream out(path);
  out << QuantReportJson(r) << "\n";
  if (!out) return IoError(path + ": cannot write the report");
  return Status::Ok();
}

}  // namespace hone::compress
