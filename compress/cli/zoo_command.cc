// `hone compress zoo`: lists the built-in models, or writes one untrained as TorchScript.
#include <cstdio>
#include <memory>

#include "compress/cli/compress_commands.h"
#include "compress/model/script_model.h"
#include "compress/zoo/model_zoo.h"

namespace hone::compress {

void SetupZooCommand(CLI::App& app, Status* result) {
  struct Args {
    std::string model;
    std::string input = "1,1,28,28";
    std::string out;
    ZooSpec zoo;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("zoo", "List the built-in models, or save one (untrained) with --out");
  cmd->add_option("model", a->model, "Model to save");
  cmd->add_option("--input", a->input, "Input shape N,C,H,W")->capture_default_str();
  cmd->add_option("--classes", a->zoo.classes, "Classes")->capture_default_str();
  cmd->add_option("--width", a->zoo.base_width, "Channels of the first layer (0: the model's default)");
  cmd->add_option("--depth", a->zoo.depth, "cnn2: conv stages (0: 2)");
  cmd->add_option("--seed", a->zoo.seed, "Initialisation seed");
  cmd->add_option("--out", a->out, "Where to save the model (.pt)");
  cmd->callback([a, result] {
    if (a->model.empty()) {
      for (const std::string& name : ZooModelNames()) std::printf("%s\n", name.c_str());
      return;
    }
    if (a->out.empty()) { *result = InvalidArgument("zoo " + a->model + ": --out is required"); return; }
    auto shape = ParseShape(a->input);
    if (!shape.ok()) { *result = shape.status(); return; }
    if (shape->size() != 4) { *result = InvalidArgument("--input must have 4 dimensions N,C,H,W"); return; }
    a->zoo.name = a->model;
    a->zoo.channels = (*shape)[1];
    a->zoo.height = (*shape)[2];
    a->zoo.width = (*shape)[3];
    auto model = BuildZooModel(a->zoo);
    if (!model.ok()) { *result = model.status(); return; }
    *result = model->Save(a->out);
    if (result->ok()) {
      std::printf("%s: %lld parameters; saved %s\n", a->model.c_str(),
                  static_cast<long long>(model->NumParameters()), a->out.c_str());
    }
  });
}

}  // namespace hone::compress
