// What `hone compress profile` and `hone compress prune` read first: a TorchScript model
// (the MODEL argument) and its layer graph on the --input shape.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "compress/graph/layer_graph.h"
#include "compress/model/script_model.h"
#include "core/status.h"

namespace hone::compress {

struct ModelWithGraph {
  std::vector<int64_t> shape;  // --input, N,C,H,W
  ScriptModel model;
  LayerGraph graph;
};

// Errors: a malformed shape, a model that does not load, a forward that fails on the shape.
StatusOr<ModelWithGraph> LoadModelWithGraph(const std::string& model_path, const std::string& input);

// Adds the required positional MODEL (.pt) and --input N,C,H,W (default shown) to `cmd`.
void AddModelOptions(CLI::App& cmd, std::string& model, std::string& input);

}  // namespace hone::compress
