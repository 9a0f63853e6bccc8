// The model spaces that ship with hone, as YAML texts read by the same reader as a
// user's file (so `hone nas spaces --show NAME` prints a starting point to edit).
//
//   nb201        NAS-Bench-201's cell space: 4 nodes, 6 edges of 5 operations, 3 stages
//                of 5 cells with 16/32/64 channels (15,625 cells)
//   nb201-small  the same cell with 2 cells per stage and 8/16/32 channels, for searches
//                on a 2-core CPU (Fashion-MNIST in minutes per epoch)
//   darts        DARTS's cell space: 4 intermediate nodes, 8 operations, a normal and a
//                reduction cell, 2 cells per stage at 16/32/64 channels (8 cells)
//   mobilenet-chain  inverted-residual stages with depth, width, kernel (3, 5, 7) and
//                expansion (3, 6) choices, ProxylessNAS/SPOS style, sized for 28x28 inputs
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hone::nas {

std::vector<std::string> BuiltinSpaceNames();
// The YAML text of a built-in space; nullopt for another name.
std::optional<std::string> BuiltinSpaceText(const std::string& name);

}  // namespace hone::nas
