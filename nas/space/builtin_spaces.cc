#include "nas/space/builtin_spaces.h"

#include <array>
#include <utility>

namespace hone::nas {
namespace {

constexpr const char* kNb201 = R"(name: nb201
type: cell
input: {channels: 1, height: 28, width: 28}
classes: 10
stem: {channels: 16}
cell:
  style: nb201
  nodes: 4
  operations: [none, skip_connect, conv_1x1, conv_3x3, avg_pool_3x3]
stages:
  - {cells: 5, channels: 16}
  - {cells: 5, channels: 32}
  - {cells: 5, channels: 64}
)";

constexpr const char* kNb201Small = R"(name: nb201-small
type: cell
input: {channels: 1, height: 28, width: 28}
classes: 10
stem: {channels: 8}
cell:
  style: nb201
  nodes: 4
  operations: [none, skip_connect, conv_1x1, conv_3x3, avg_pool_3x3]
stages:
  - {cells: 2, channels: 8}
  - {cells: 2, channels: 16}
  - {cells: 2, channels: 32}
)";

constexpr const char* kDarts = R"(name: darts
type: cell
input: {channels: 1, height: 28, width: 28}
classes: 10
stem: {channels: 48}
cell:
  style: darts
  nodes: 4
  operations: [none, max_pool_3x3, avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5]
stages:
  - {cells: 2, channels: 16}
  - {cells: 2, channels: 32}
  - {cells: 2, channels: 64}
)";

constexpr const char* kMobilenetChain = R"(name: mobilenet-chain
type: chain
input: {channels: 1, height: 28, width: 28}
classes: 10
stem: {channels: 16}
stages:
  - {depth: [1, 2], width: 16, kernel: [3, 5, 7], expansion: [3, 6], stride: 1}
  - {depth: [2, 3, 4], width: [24, 32], kernel: [3, 5, 7], expansion: [3, 6], stride: 2}
  - {depth: [2, 3, 4], width: [48, 64], kernel: [3, 5, 7], expansion: [3, 6], stride: 2}
  - {depth: [1, 2], width: [96, 128], kernel: [3, 5, 7], expansion: [3, 6], stride: 1}
head: {channels: 256}
)";

constexpr std::array<std::pair<const char*, const char*>, 4> kSpaces = {{
    {"nb201", kNb201},
    {"nb201-small", kNb201Small},
    {"darts", kDarts},
    {"mobilenet-chain", kMobilenetChain},
}};

}  // namespace

std::vector<std::string> BuiltinSpaceNames() {
  std::vector<std::string> out;
  for (const auto& [name, text] : kSpaces) out.emplace_back(name);
  return out;
}

std::optional<std::string> BuiltinSpaceText(const std::string& name) {
  for (const auto& [n, text] : kSpaces) {
    if (name == n) return std::string(text);
  }
  return std::nullopt;
}

}  // namespace hone::nas
