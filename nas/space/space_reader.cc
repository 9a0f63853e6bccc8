#include "nas/space/space_reader.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/config_context.h"
#include "core/registry.h"
#include "nas/space/builtin_spaces.h"

namespace hone::nas {
namespace {

constexpr int kMaxCells = 64;
constexpr long long kMaxChannels = 4096;

// The candidates of a key that takes one value or a list of values, each in [min, max].
std::optional<std::vector<long long>> Candidates(ConfigContext& ctx, const ConfigNode& n, const std::string& path,
                                                 long long min, long long max) {
  std::vector<const ConfigNode*> items;
  if (n.IsSequence()) {
    for (const ConfigNode& item : n.items()) items.push_back(&item);
    if (items.empty()) ctx.diag().Error(n.mark(), path, "needs at least one candidate");
  } else {
    items.push_back(&n);
  }
  std::vector<long long> out;
  bool ok = !items.empty();
  for (const ConfigNode* item : items) {
    auto v = ctx.Int(*item, path, min, max);
    if (!v) {
      ok = false;
      continue;
    }
    if (std::find(out.begin(), out.end(), *v) != out.end()) {
      ctx.diag().Error(item->mark(), path, "candidate " + std::to_string(*v) + " is listed twice");
      ok = false;
    }
    out.push_back(*v);
  }
  return ok ? std::optional(out) : std::nullopt;
}

void ReadInput(ConfigContext& ctx, const ConfigNode& raw, const std::string& path, InputShape& input) {
  if (!raw.IsMap()) {
    ctx.diag().Error(raw.mark(), path, "expected a map with channels, height and width, but got " + raw.Describe());
    return;
  }
  ConfigNode n = ctx.CheckKeys(raw, path, {"channels", "height", "width"});
  if (const ConfigNode* c = n.Find("channels")) input.channels = ctx.Int(*c, path + ".channels", 1, 64).value_or(1);
  if (const ConfigNode* h = n.Find("height")) input.height = ctx.Int(*h, path + ".height", 4, 1024).value_or(28);
  if (const ConfigNode* w = n.Find("width")) input.width = ctx.Int(*w, path + ".width", 4, 1024).value_or(28);
}

void ReadOperations(ConfigContext& ctx, const ConfigNode& n, const std::string& path, std::vector<Operation>& ops) {
  if (!n.IsSequence() || n.items().empty()) {
    ctx.diag().Error(n.mark(), path, "expected a non-empty list of operations, but got " + n.Describe());
    return;
  }
  for (const ConfigNode& item : n.items()) {
    auto name = ctx.String(item, path);
    if (!name) continue;
    auto op = ParseOperation(*name);
    if (!op) {
      ctx.diag().Error(item.mark(), path, UnknownNameMessage("operation", *name, OperationNames()));
      continue;
    }
    if (std::find(ops.begin(), ops.end(), *op) != ops.end()) {
      ctx.diag().Error(item.mark(), path, std::string("operation '") + OperationName(*op) + "' is listed twice");
      continue;
    }
    ops.push_back(*op);
  }
}

void ReadCell(ConfigContext& ctx, const ConfigNode& raw, const std::string& path, CellSpace& cell) {
  if (!raw.IsMap()) {
    ctx.diag().Error(raw.mark(), path, "expected a map (style, nodes, operations), but got " + raw.Describe());
    return;
  }
  ConfigNode n = ctx.CheckKeys(raw, path, {"style", "nodes", "operations"});
  if (const ConfigNode* s = n.Find("style")) {
    auto style = ctx.String(*s, path + ".style");
    if (style == "nb201") {
      cell.style = CellStyle::kNb201;
    } else if (style == "darts") {
      cell.style = CellStyle::kDarts;
    } else if (style) {
      ctx.diag().Error(s->mark(), path + ".style", UnknownNameMessage("cell style", *style, {"nb201", "darts"}));
    }
  }
  if (const ConfigNode* k = n.Find("nodes")) {
    long long min = cell.style == CellStyle::kNb201 ? 2 : 1;
    cell.nodes = static_cast<int>(ctx.Int(*k, path + ".nodes", min, 8).value_or(cell.nodes));
  }
  if (const ConfigNode* o = n.Find("operations")) {
    ReadOperations(ctx, *o, path + ".operations", cell.operations);
  } else {
    ctx.diag().Error(raw.mark(), path, "missing key 'operations' (the candidate operations of every edge)");
  }
}

void ReadCellStages(ConfigContext& ctx, const ConfigNode& n, const std::string& path, std::vector<CellStage>& out) {
  for (size_t i = 0; i < n.items().size(); ++i) {
    const ConfigNode& raw = n.items()[i];
    std::string p = path + "[" + std::to_string(i) + "]";
    if (!raw.IsMap()) {
      ctx.diag().Error(raw.mark(), p, "expected a map (cells, channels), but got " + raw.Describe());
      continue;
    }
    ConfigNode item = ctx.CheckKeys(raw, p, {"cells", "channels"});
    CellStage stage;
    if (const ConfigNode* c = item.Find("cells")) stage.cells = static_cast<int>(ctx.Int(*c, p + ".cells", 1, kMaxCells).value_or(1));
    if (const ConfigNode* c = item.Find("channels")) {
      stage.channels = ctx.Int(*c, p + ".channels", 1, kMaxChannels).value_or(16);
    } else {
      ctx.diag().Error(raw.mark(), p, "missing key 'channels'");
    }
    out.push_back(stage);
  }
}

template <typename T>
std::vector<T> Cast(const std::optional<std::vector<long long>>& v, std::vector<T> fallback) {
  if (!v) return fallback;
  return std::vector<T>(v->begin(), v->end());
}

void ReadChainStage(ConfigContext& ctx, const ConfigNode& raw, const std::string& p, ChainStage& stage) {
  ConfigNode item = ctx.CheckKeys(raw, p, {"depth", "width", "kernel", "expansion", "stride"});
  if (const ConfigNode* d = item.Find("depth")) stage.depths = Cast<int>(Candidates(ctx, *d, p + ".depth", 1, 16), {1});
  if (const ConfigNode* w = item.Find("width")) {
    stage.widths = Cast<int64_t>(Candidates(ctx, *w, p + ".width", 1, kMaxChannels), {16});
  } else {
    ctx.diag().Error(raw.mark(), p, "missing key 'width' (the output channels, or a list of candidates)");
    stage.widths = {16};
  }
  if (const ConfigNode* k = item.Find("kernel")) {
    stage.kernels = Cast<int>(Candidates(ctx, *k, p + ".kernel", 1, 9), {3});
    for (size_t i = 0; i < stage.kernels.size(); ++i) {
      const SourceMark& at = k->IsSequence() && i < k->items().size() ? k->items()[i].mark() : k->mark();
      if (stage.kernels[i] % 2 == 0) {
        ctx.diag().Error(at, p + ".kernel", "kernel sizes must be odd, but got " + std::to_string(stage.kernels[i]));
      }
    }
  }
  if (const ConfigNode* e = item.Find("expansion")) stage.expansions = Cast<int>(Candidates(ctx, *e, p + ".expansion", 1, 16), {6});
  if (const ConfigNode* s = item.Find("stride")) stage.stride = static_cast<int>(ctx.Int(*s, p + ".stride", 1, 2).value_or(1));
}

void ReadStages(ConfigContext& ctx, const ConfigNode& n, const std::string& path, ModelSpace& space) {
  if (!n.IsSequence() || n.items().empty()) {
    ctx.diag().Error(n.mark(), path, "expected a non-empty list of stages, but got " + n.Describe());
    return;
  }
  if (space.kind == SpaceKind::kCell) {
    ReadCellStages(ctx, n, path, space.cell.stages);
    return;
  }
  for (size_t i = 0; i < n.items().size(); ++i) {
    const ConfigNode& raw = n.items()[i];
    std::string p = path + "[" + std::to_string(i) + "]";
    if (!raw.IsMap()) {
      ctx.diag().Error(raw.mark(), p, "expected a map (depth, width, kernel, expansion, stride), but got " + raw.Describe());
      continue;
    }
    ChainStage stage;
    ReadChainStage(ctx, raw, p, stage);
    space.chain.stages.push_back(stage);
  }
}

std::optional<long long> ChannelsOf(ConfigContext& ctx, const ConfigNode& raw, const std::string& path, long long min) {
  if (!raw.IsMap()) {
    ctx.diag().Error(raw.mark(), path, "expected a map with 'channels', but got " + raw.Describe());
    return std::nullopt;
  }
  ConfigNode n = ctx.CheckKeys(raw, path, {"channels"});
  const ConfigNode* c = n.Find("channels");
  if (!c) return std::nullopt;
  return ctx.Int(*c, path + ".channels", min, kMaxChannels);
}

void ReadKind(ConfigContext& ctx, const ConfigNode& n, const std::string& path, ModelSpace& space) {
  const ConfigNode* t = n.Find("type");
  if (!t) {
    ctx.diag().Error(n.mark(), path, "missing key 'type' (cell or chain)");
    return;
  }
  auto kind = ctx.String(*t, JoinKeyPath(path, "type"));
  if (kind == "cell") {
    space.kind = SpaceKind::kCell;
  } else if (kind == "chain") {
    space.kind = SpaceKind::kChain;
  } else if (kind) {
    ctx.diag().Error(t->mark(), JoinKeyPath(path, "type"), UnknownNameMessage("space type", *kind, {"cell", "chain"}));
  }
}

void ReadBody(ConfigContext& ctx, const ConfigNode& n, const std::string& path, ModelSpace& space) {
  auto key = [&](const char* k) { return JoinKeyPath(path, k); };
  if (const ConfigNode* v = n.Find("name")) space.name = ctx.String(*v, key("name")).value_or("");
  if (const ConfigNode* v = n.Find("input")) ReadInput(ctx, *v, key("input"), space.input);
  if (const ConfigNode* v = n.Find("classes")) space.classes = ctx.Int(*v, key("classes"), 2, 100000).value_or(10);
  if (const ConfigNode* v = n.Find("stem")) space.stem_channels = ChannelsOf(ctx, *v, key("stem"), 1).value_or(16);
  if (const ConfigNode* v = n.Find("cell")) {
    if (space.kind == SpaceKind::kChain) {
      ctx.diag().Error(n.KeyMark("cell"), key("cell"), "a chain space has no cell (its blocks are set per stage)");
    } else {
      ReadCell(ctx, *v, key("cell"), space.cell);
    }
  } else if (space.kind == SpaceKind::kCell) {
    ctx.diag().Error(n.mark(), path, "missing key 'cell' (style, nodes, operations)");
  }
  if (const ConfigNode* v = n.Find("head")) {
    if (space.kind == SpaceKind::kCell) {
      ctx.diag().Error(n.KeyMark("head"), key("head"), "a cell space has no head (it ends with pooling and a linear layer)");
    } else {
      space.chain.head_channels = ChannelsOf(ctx, *v, key("head"), 0).value_or(0);
    }
  }
  if (const ConfigNode* v = n.Find("stages")) {
    ReadStages(ctx, *v, key("stages"), space);
  } else {
    ctx.diag().Error(n.mark(), path, "missing key 'stages'");
  }
}

}  // namespace

std::optional<ModelSpace> ReadModelSpace(const ConfigNode& raw, const std::string& path, Diagnostics& diag) {
  Registry registry;
  ConfigContext ctx(registry, ".", diag);
  size_t errors_before = diag.error_count();
  if (!raw.IsMap()) {
    diag.Error(raw.mark(), path, "expected a map describing a model space, but got " + raw.Describe());
    return std::nullopt;
  }
  ConfigNode n = ctx.CheckKeys(raw, path, {"name", "type", "input", "classes", "stem", "cell", "stages", "head"});
  ModelSpace space;
  ReadKind(ctx, n, path, space);
  ReadBody(ctx, n, path, space);
  if (diag.error_count() != errors_before) return std::nullopt;
  return space;
}

StatusOr<ModelSpace> ParseModelSpace(const std::string& text, const std::string& file) {
  Diagnostics diag;
  std::optional<ConfigNode> node = ConfigNode::Parse(text, file, diag);
  std::optional<ModelSpace> space;
  if (node) space = ReadModelSpace(*node, "", diag);
  if (!space || diag.has_errors()) return diag.ToStatus().ok() ? InvalidArgument(file + ": not a model space") : diag.ToStatus();
  if (space->name.empty()) space->name = std::filesystem::path(file).stem().string();
  return *space;
}

StatusOr<ModelSpace> LoadModelSpace(const std::string& name_or_path) {
  if (auto text = BuiltinSpaceText(name_or_path)) return ParseModelSpace(*text, "<built-in " + name_or_path + ">");
  std::error_code ec;
  if (!std::filesystem::exists(name_or_path, ec)) {
    return NotFound(UnknownNameMessage("model space", name_or_path, BuiltinSpaceNames()) +
                    "; nor is it a file");
  }
  auto text = ReadConfigFile(name_or_path);
  if (!text.ok()) return text.status();
  return ParseModelSpace(*text, name_or_path);
}

int ChainStage::MaxDepth() const { return depths.empty() ? 0 : *std::max_element(depths.begin(), depths.end()); }

const char* SpaceKindName(SpaceKind kind) { return kind == SpaceKind::kCell ? "cell" : "chain"; }
const char* CellStyleName(CellStyle style) { return style == CellStyle::kNb201 ? "nb201" : "darts"; }

}  // namespace hone::nas
