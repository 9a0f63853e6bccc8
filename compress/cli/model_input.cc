#include "compress/cli/model_input.h"

namespace hone::compress {

StatusOr<ModelWithGraph> LoadModelWithGraph(const std::string& model_path, const std::string& input) {
  auto shape = ParseShape(input);
  if (!shape.ok()) return shape.status();
  auto model = ScriptModel::Load(model_path);
  if (!model.ok()) return model.status();
  auto graph = BuildLayerGraph(*model, *shape);
  if (!graph.ok()) return graph.status();
  return ModelWithGraph{std::move(*shape), std::move(*model), std::move(*graph)};
}

void AddModelOptions(CLI::App& cmd, std::string& model, std::string& input) {
  cmd.add_option("model", model, "TorchScript model (.pt)")->required();
  cmd.add_option("--input", input, "Input shape N,C,H,W")->capture_default_str();
}

}  // namespace hone::compress
