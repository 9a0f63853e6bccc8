// `hone nas spaces`, `hone nas search-space` and `hone nas describe`: torch-free views of
// model spaces and architectures.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "nas/cli/nas_commands.h"
#include "nas/space/arch_file.h"
#include "nas/space/builtin_spaces.h"
#include "nas/space/cell_svg.h"
#include "nas/space/space_reader.h"

namespace hone::nas {
namespace {

std::string SizeText(const SearchSpace& s) {
  auto size = s.DiscreteSize();
  if (!size) return "?";
  char buf[32];
  std::snprintf(buf, sizeof buf, *size < 1e7 ? "%.0f" : "%.2e", *size);
  return buf;
}

Status RunSpaces(const std::string& name) {
  if (!name.empty()) {
    auto text = BuiltinSpaceText(name);
    if (!text) return LoadModelSpace(name).status();  // the unknown-name message
    std::fputs(text->c_str(), stdout);
    return Status::Ok();
  }
  std::printf("%-18s %-6s %-6s %10s  %s\n", "space", "type", "cell", "decisions", "architectures");
  for (const std::string& n : BuiltinSpaceNames()) {
    auto space = LoadModelSpace(n);
    if (!space.ok()) return space.status();
    SearchSpace s = ToSearchSpace(*space);
    std::printf("%-18s %-6s %-6s %10zu  %s\n", n.c_str(), SpaceKindName(space->kind),
                space->kind == SpaceKind::kCell ? CellStyleName(space->cell.style) : "-", s.params().size(),
                SizeText(s).c_str());
  }
  return Status::Ok();
}

Status RunSearchSpace(const std::string& name, const std::string& out) {
  auto space = LoadModelSpace(name);
  if (!space.ok()) return space.status();
  std::string json = ToSearchSpace(*space).ToJson().dump(2) + "\n";
  if (out.empty()) {
    std::fputs(json.c_str(), stdout);
    return Status::Ok();
  }
  std::ofstream file(out);
  file << json;
  if (!file.flush()) return IoError("cannot write " + out);
  std::printf("%s: %zu decisions written to %s\n", space->name.c_str(), ToSearchSpace(*space).params().size(),
              out.c_str());
  return Status::Ok();
}

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream file(path);
  file << text;
  if (!file.flush()) return IoError("cannot write " + path);
  std::printf("wrote %s\n", path.c_str());
  return Status::Ok();
}

// The cell pictures: `svg` for the (normal) cell, and for DARTS-style cells the reduction
// cell beside it with "-reduce" before the extension.
Status WriteCellPictures(const ArchitectureFile& file, const std::string& svg) {
  if (file.space.kind != SpaceKind::kCell) return InvalidArgument("--svg draws cells; space '" + file.space.name + "' is a chain");
  bool darts = file.space.cell.style == CellStyle::kDarts;
  HONE_RETURN_IF_ERROR(WriteText(svg, CellSvg(file.space, file.arch.normal, darts ? "normal cell" : "cell")));
  if (!darts || file.arch.reduce.edges.empty()) return Status::Ok();
  std::filesystem::path p(svg);
  std::string reduce = (p.parent_path() / (p.stem().string() + "-reduce" + p.extension().string())).string();
  return WriteText(reduce, CellSvg(file.space, file.arch.reduce, "reduction cell"));
}

Status RunDescribe(const std::string& path, const std::string& svg) {
  auto file = ReadArchitectureFile(path);
  if (!file.ok()) return file.status();
  std::printf("space %s (%s)\n%s", file->space.name.c_str(), SpaceKindName(file->space.kind),
              DescribeArchitecture(file->space, file->arch).c_str());
  return svg.empty() ? Status::Ok() : WriteCellPictures(*file, svg);
}

}  // namespace

void SetupSpacesCommand(CLI::App& app, Status* result) {
  auto name = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("spaces", "List the built-in model spaces, or print one as YAML to start from");
  cmd->add_option("name", *name, "A built-in space to print");
  cmd->callback([name, result] { *result = RunSpaces(*name); });
}

void SetupSearchSpaceCommand(CLI::App& app, Status* result) {
  auto name = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("search-space",
                                 "Write a model space's decisions as a hone search space (searchSpaceFile of an experiment)");
  cmd->add_option("space", *name, "A built-in space's name or a YAML file")->required();
  cmd->add_option("--out", *out, "Write the JSON here instead of stdout");
  cmd->callback([name, out, result] { *result = RunSearchSpace(*name, *out); });
}

void SetupDescribeCommand(CLI::App& app, Status* result) {
  auto path = std::make_shared<std::string>();
  auto svg = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("describe", "Print an architecture file's cells or blocks as text, or draw its cells");
  cmd->add_option("arch", *path, "Architecture file (ARCH.yaml)")->required();
  cmd->add_option("--svg", *svg, "Also draw the cell as an SVG picture here (DARTS cells: and FILE-reduce.svg)");
  cmd->callback([path, svg, result] { *result = RunDescribe(*path, *svg); });
}

}  // namespace hone::nas
