#include "nas/space/cell_svg.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

namespace hone::nas {
namespace {

constexpr int kStep = 170;  // horizontal distance between nodes
constexpr int kTop = 60;
constexpr int kRadius = 22;

const char* Colour(Operation op) {
  switch (op) {
    case Operation::kSkip: return "#9e9e9e";
    case Operation::kConv1x1: return "#42a5f5";
    case Operation::kConv3x3: return "#1e88e5";
    case Operation::kConv5x5: return "#0d47a1";
    case Operation::kSepConv3x3: return "#43a047";
    case Operation::kSepConv5x5: return "#1b5e20";
    case Operation::kDilConv3x3: return "#8e24aa";
    case Operation::kDilConv5x5: return "#4a148c";
    case Operation::kAvgPool3x3: return "#fb8c00";
    case Operation::kMaxPool3x3: return "#e53935";
    case Operation::kNone: return "#000000";
  }
  return "#000000";
}

std::string NodeLabel(const ModelSpace& space, int node) {
  if (space.cell.style == CellStyle::kNb201) return node == 0 ? "in" : std::to_string(node);
  if (node == 0) return "c[k-2]";
  if (node == 1) return "c[k-1]";
  return std::to_string(node - 2);
}

// How far above the nodes an arc over `span` nodes peaks.
int Lift(int span) { return span == 1 ? 0 : 30 + 28 * span; }

struct Layout {
  std::map<int, int> x;  // node -> centre x
  int y = 0;
  int width = 0;
};

Layout Place(const ModelSpace& space, const CellGenotype& cell) {
  Layout l;
  int last = 0, span = 1;
  for (const CellEdge& e : cell.edges) {
    last = std::max(last, e.to);
    if (e.op != Operation::kNone) span = std::max(span, e.to - e.from);
  }
  for (int n = 0; n <= last; ++n) l.x[n] = 50 + n * kStep;
  l.y = kTop + std::max(130, Lift(span) + 30);  // the longest arc's label stays below the title
  l.width = 100 + (last + (space.cell.style == CellStyle::kDarts ? 1 : 0)) * kStep;
  return l;
}

// An arc above the nodes from `a` to `b`, higher for longer edges, with a label at its top.
void Edge(std::ostringstream& out, const Layout& l, const CellEdge& e) {
  int x1 = l.x.at(e.from) + kRadius, x2 = l.x.at(e.to) - kRadius;
  int lift = Lift(e.to - e.from);
  int mid = (x1 + x2) / 2;
  out << "<path d=\"M" << x1 << " " << l.y << " Q" << mid << " " << l.y - 2 * lift << " " << x2 << " " << l.y
      << "\" fill=\"none\" stroke=\"" << Colour(e.op) << "\" stroke-width=\"2.5\" marker-end=\"url(#arrow)\"/>\n";
  out << "<text x=\"" << mid << "\" y=\"" << l.y - lift - 6 << "\" text-anchor=\"middle\" font-size=\"12\" fill=\""
      << Colour(e.op) << "\">" << OperationName(e.op) << "</text>\n";
}

}  // namespace

std::string CellSvg(const ModelSpace& space, const CellGenotype& cell, const std::string& title) {
  Layout l = Place(space, cell);
  std::ostringstream out;
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << l.width << "\" height=\"" << l.y + 70
      << "\" font-family=\"sans-serif\">\n"
      << "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
         "orient=\"auto\"><path d=\"M0 0 L10 5 L0 10 z\" fill=\"#555\"/></marker></defs>\n"
      << "<text x=\"10\" y=\"24\" font-size=\"16\" font-weight=\"bold\">" << title << "</text>\n";
  for (const CellEdge& e : cell.edges) {
    if (e.op != Operation::kNone) Edge(out, l, e);
  }
  if (space.cell.style == CellStyle::kDarts) {
    int out_x = l.x.rbegin()->second + kStep;
    for (const auto& [node, x] : l.x) {
      if (node < 2) continue;
      out << "<line x1=\"" << x << "\" y1=\"" << l.y + kRadius << "\" x2=\"" << out_x << "\" y2=\"" << l.y + kRadius
          << "\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>\n";
    }
    out << "<rect x=\"" << out_x - 30 << "\" y=\"" << l.y - 18 << "\" width=\"60\" height=\"36\" rx=\"6\" fill=\"#fff3e0\" "
           "stroke=\"#555\"/>\n<text x=\"" << out_x << "\" y=\"" << l.y + 5 << "\" text-anchor=\"middle\" font-size=\"13\">concat</text>\n";
  }
  for (const auto& [node, x] : l.x) {
    out << "<circle cx=\"" << x << "\" cy=\"" << l.y << "\" r=\"" << kRadius << "\" fill=\""
        << (node == 0 || (space.cell.style == CellStyle::kDarts && node == 1) ? "#e3f2fd" : "#ffffff")
        << "\" stroke=\"#333\" stroke-width=\"1.5\"/>\n"
        << "<text x=\"" << x << "\" y=\"" << l.y + 5 << "\" text-anchor=\"middle\" font-size=\"13\">"
        << NodeLabel(space, node) << "</text>\n";
  }
  out << "</svg>\n";
  return out.str();
}

}  // namespace hone::nas
