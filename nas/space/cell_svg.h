// A cell as a picture: an SVG drawing of a cell architecture's nodes (left to right) and
// its edges, each labelled and coloured by its operation (`none` edges are not drawn).
// DARTS-style cells also show the two inputs and the output that concatenates the
// intermediate nodes. Torch-free; a browser or any SVG viewer shows the file.
//
//   std::string svg = CellSvg(space, arch.normal, "normal cell");
#pragma once

#include <string>

#include "nas/space/architecture.h"
#include "nas/space/model_space.h"

namespace hone::nas {

// REQUIRES: a cell space (space.kind == SpaceKind::kCell).
std::string CellSvg(const ModelSpace& space, const CellGenotype& cell, const std::string& title);

}  // namespace hone::nas
