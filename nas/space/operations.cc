#include "nas/space/operations.h"

#include <array>
#include <utility>

namespace hone::nas {
namespace {

constexpr std::array<std::pair<Operation, const char*>, 11> kNames = {{
    {Operation::kNone, "none"},
    {Operation::kSkip, "skip_connect"},
    {Operation::kConv1x1, "conv_1x1"},
    {Operation::kConv3x3, "conv_3x3"},
    {Operation::kConv5x5, "conv_5x5"},
    {Operation::kSepConv3x3, "sep_conv_3x3"},
    {Operation::kSepConv5x5, "sep_conv_5x5"},
    {Operation::kDilConv3x3, "dil_conv_3x3"},
    {Operation::kDilConv5x5, "dil_conv_5x5"},
    {Operation::kAvgPool3x3, "avg_pool_3x3"},
    {Operation::kMaxPool3x3, "max_pool_3x3"},
}};

constexpr std::array<std::pair<const char*, Operation>, 6> kAliases = {{
    {"zero", Operation::kNone},
    {"skip", Operation::kSkip},
    {"identity", Operation::kSkip},
    {"nor_conv_1x1", Operation::kConv1x1},
    {"nor_conv_3x3", Operation::kConv3x3},
    {"nor_conv_5x5", Operation::kConv5x5},
}};

}  // namespace

const char* OperationName(Operation op) {
  for (const auto& [o, name] : kNames) {
    if (o == op) return name;
  }
  return "?";
}

std::optional<Operation> ParseOperation(std::string_view name) {
  for (const auto& [o, n] : kNames) {
    if (name == n) return o;
  }
  for (const auto& [n, o] : kAliases) {
    if (name == n) return o;
  }
  return std::nullopt;
}

std::vector<std::string> OperationNames() {
  std::vector<std::string> out;
  for (const auto& entry : kNames) out.emplace_back(entry.second);
  return out;
}

bool HasWeights(Operation op) {
  return op != Operation::kNone && op != Operation::kSkip && op != Operation::kAvgPool3x3 &&
         op != Operation::kMaxPool3x3;
}

}  // namespace hone::nas
