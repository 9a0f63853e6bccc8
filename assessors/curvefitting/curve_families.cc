#include "assessors/curvefitting/curve_families.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace hone {
namespace {

struct Shape {
  double first, last, lo, hi;
};

Shape ShapeOf(std::span<const double> ys) {
  Shape s{ys.front(), ys.back(), ys.front(), ys.front()};
  for (double y : ys) {
    s.lo = std::min(s.lo, y);
    s.hi = std::max(s.hi, y);
  }
  return s;
}

// The level a rising curve approaches: a little above what it has reached.
double Ceiling(const Shape& s) { return s.hi + 0.1 * std::max(s.hi - s.lo, 1e-3); }

// vap: exp(a + b / x + c log x)
double Vap(double x, std::span<const double> p) { return std::exp(p[0] + p[1] / x + p[2] * std::log(x)); }
std::vector<double> VapInit(std::span<const double> ys) {
  Shape s = ShapeOf(ys);
  return {std::log(std::max(std::fabs(s.last), 1e-6)), -0.5, 0.0};
}

// pow3: c - a x^-alpha
double Pow3(double x, std::span<const double> p) { return p[0] - p[1] * std::pow(x, -p[2]); }
std::vector<double> Pow3Init(std::span<const double> ys) {
  Shape s = ShapeOf(ys);
  double c = Ceiling(s);
  return {c, c - s.first, 0.5};
}

// linear: a x + b
double Linear(double x, std::span<const double> p) { return p[0] * x + p[1]; }
std::vector<double> LinearInit(std::span<const double> ys) {
  Shape s = ShapeOf(ys);
  double n = static_cast<double>(ys.size());
  double a = n > 1 ? (s.last - s.first) / (n - 1) : 0;
  return {a, s.first - a};
}

// logx_linear: a log x + b
double LogxLinear(double x, std::span<const double> p) { return p[0] * std::log(x) + p[1]; }
std::vector<double> LogxLinearInit(std::span<const double> ys) {
  Shape s = ShapeOf(ys);
  double n = static_cast<double>(ys.size());
  return {n > 1 ? (s.last - s.first) / std::log(n) : 0, s.first};
}

// dr_hill_zero_background: theta x^eta / (kappa^eta + x^eta)
double DrHill(double x, std::span<const double> p) {
  double xe = std::pow(x, p[1]);
  return p[0] * xe / (std::pow(p[2], p[1]) + xe);
}
std::vector<double> DrHillInit(std::span<const double> ys) { return {Ceiling(ShapeOf(ys)), 1.0, 1.0}; }

// log_power: a / (1 + (x / e^b)^c)
double LogPower(double x, std::span<const double> p) { return p[0] / (1 + std::pow(x / std::exp(p[1]), p[2])); }
std::vector<double> LogPowerInit(std::span<const double> ys) { return {Ceiling(ShapeOf(ys)), 0.0, -1.0}; }

// pow4: c - (a x + b)^-alpha
double Pow4(double x, std::span<const double> p) { return p[3] - std::pow(p[1] * x + p[2], -p[0]); }
std::vector<double> Pow4Init(std::span<const double> ys) {
  Shape s = ShapeOf(ys);
  double c = Ceiling(s);
  double gap = std::max(c - s.first, 1e-3);
  // c - (a + b)^-alpha = first at x = 1 with alpha 1: a + b = 1 / gap.
  return {1.0, 0.5 / gap, 0.5 / gap, c};
}

// mmf: alpha - (alpha - beta) / (1 + (kappa x)^delta)
double Mmf(double x, std::span<const double> p) {
  return p[0] - (p[0] - p[1]) / (1 + std::pow(p[2] * x, p[3]));
}
std::vector<double> MmfInit(std::span<const double> ys) {
  Shape s = ShapeOf(ys);
  return {Ceiling(s), s.first - (Ceiling(s) - s.first), 1.0, 1.0};
}

// exp4: c - exp(-a x^alpha + b)
double Exp4(double x, std::span<const double> p) { return p[0] - std::exp(-p[1] * std::pow(x, p[3]) + p[2]); }
std::vector<double> Exp4Init(std::span<const double> ys) {
  Shape s = ShapeOf(ys);
  double c = Ceiling(s);
  double a = 0.5;
  return {c, a, std::log(std::max(c - s.first, 1e-6)) + a, 1.0};
}

// ilog2: c - a / log(x + 1). NNI's form, c - a / log x, is infinite at the first epoch;
// the shift keeps it finite there.
double Ilog2(double x, std::span<const double> p) { return p[0] - p[1] / std::log(x + 1); }
std::vector<double> Ilog2Init(std::span<const double> ys) {
  Shape s = ShapeOf(ys);
  double c = Ceiling(s);
  return {c, (c - s.first) * std::log(2.0)};
}

// weibull: alpha - (alpha - beta) exp(-(kappa x)^delta)
double Weibull(double x, std::span<const double> p) {
  return p[0] - (p[0] - p[1]) * std::exp(-std::pow(p[2] * x, p[3]));
}
std::vector<double> WeibullInit(std::span<const double> ys) {
  Shape s = ShapeOf(ys);
  return {Ceiling(s), s.first - 0.5 * (Ceiling(s) - s.first), 0.5, 1.0};
}

// janoschek: a - (a - beta) exp(-k x^delta)
double Janoschek(double x, std::span<const double> p) {
  return p[0] - (p[0] - p[1]) * std::exp(-p[2] * std::pow(x, p[3]));
}
std::vector<double> JanoschekInit(std::span<const double> ys) {
  Shape s = ShapeOf(ys);
  return {Ceiling(s), s.first - 0.5 * (Ceiling(s) - s.first), 0.5, 1.0};
}

constexpr std::array<CurveFamily, 12> kFamilies = {{
    {"vap", 3, &Vap, &VapInit},
    {"pow3", 3, &Pow3, &Pow3Init},
    {"linear", 2, &Linear, &LinearInit},
    {"logx_linear", 2, &LogxLinear, &LogxLinearInit},
    {"dr_hill_zero_background", 3, &DrHill, &DrHillInit},
    {"log_power", 3, &LogPower, &LogPowerInit},
    {"pow4", 4, &Pow4, &Pow4Init},
    {"mmf", 4, &Mmf, &MmfInit},
    {"exp4", 4, &Exp4, &Exp4Init},
    {"ilog2", 2, &Ilog2, &Ilog2Init},
    {"weibull", 4, &Weibull, &WeibullInit},
    {"janoschek", 4, &Janoschek, &JanoschekInit},
}};

}  // namespace

std::span<const CurveFamily> CurveFamilies() { return kFamilies; }

}  // namespace hone
