// The report of `hone compress quantize`: the float and the quantized model side by side
// (test accuracy, size on disk, latency at batch 1 and 256) and one line per layer (bits,
// activation and weight scales, weight error, or why it stays in float), printed as a
// table and written as JSON for scripts (bench/compress_quant reads it). Torch-free.
//
// JSON keys (all numbers plain; a figure that was not measured is absent):
//   model, output              the input and output model files
//   quantizer, engine, observer, output_kind ("int8": quantized kernels; "fake_quant":
//                              a float model that simulates lower-bit grids; "float":
//                              float weights on their grids)
//   float, quantized           each {accuracy (test, in [0, 1]), test_images, size_bytes,
//                              latency_ms: {batch_1, batch_256}}
//   latency                    {threads, warmup, repeats, float_model:
//                              "optimize_for_inference", layout: "contiguous" | "channels_last"}
//   layers                     [{name, op, quantized, reason, weight_bits, activation_bits,
//                              input_scale, input_zero_point, output_scale, output_zero_point,
//                              weight_scale_min, weight_scale_max, weight_relative_error}]
//                              (activation_bits 0: activations in float; reason "" when quantized)
//
//   QuantReport r;  ...  PrintQuantReport(r, stdout);  HONE_RETURN_IF_ERROR(WriteQuantReport(r, "r.json"));
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "core/status.h"

namespace hone::compress {

struct ModelFigures {
  double accuracy = -1;  // < 0: not measured
  int64_t test_images = 0;
  int64_t size_bytes = 0;
  double latency_ms_batch1 = -1;  // median; < 0: not measured
  double latency_ms_batch256 = -1;
};

struct LayerQuantReport {
  std::string name;
  std::string op;  // "Conv2d", "Linear"
  bool quantized = false;
  std::string reason;
  int weight_bits = 0;
  int activation_bits = 0;
  float input_scale = 0, output_scale = 0;
  int64_t input_zero_point = 0, output_zero_point = 0;
  float weight_scale_min = 0, weight_scale_max = 0;
  double weight_relative_error = 0;
};

struct QuantReport {
  std::string model, output;
  std::string quantizer, engine, observer, output_kind;
  ModelFigures float_model, quantized;
  int latency_threads = 1, latency_warmup = 0, latency_repeats = 0;
  bool channels_last = false;
  std::vector<LayerQuantReport> layers;
};

void PrintQuantReport(const QuantReport& report, std::FILE* out);
std::string QuantReportJson(const QuantReport& report);
Status WriteQuantReport(const QuantReport& report, const std::string& path);

}  // namespace hone::compress
