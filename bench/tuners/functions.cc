#include "bench/tuners/functions.h"

#include <cmath>
#include <map>
#include <numbers>

namespace hone::bench {
namespace {

using nlohmann::json;
constexpr double kPi = std::numbers::pi;

// x0..x{d-1}, each uniform on [lo, hi].
json Box(int d, double lo, double hi) {
  json space = json::object();
  for (int i = 0; i < d; ++i) space["x" + std::to_string(i)] = {{"_type", "uniform"}, {"_value", {lo, hi}}};
  return space;
}

std::vector<double> Vec(const json& c, int d) {
  std::vector<double> x(d);
  for (int i = 0; i < d; ++i) x[i] = c.at("x" + std::to_string(i)).get<double>();
  return x;
}

double Branin(const std::vector<double>& x) {
  double b = 5.1 / (4 * kPi * kPi), c = 5 / kPi, t = 1 / (8 * kPi);
  double u = x[1] - b * x[0] * x[0] + c * x[0] - 6;
  return u * u + 10 * (1 - t) * std::cos(x[0]) + 10;
}

double Hartmann6(const std::vector<double>& x) {
  static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                 {0.05, 10, 17, 0.1, 8, 14},
                                 {3, 3.5, 1.7, 10, 17, 8},
                                 {17, 8, 0.05, 10, 0.1, 14}};
  static const double P[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                 {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                 {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                 {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
  double s = 0;
  for (int i = 0; i < 4; ++i) {
    double inner = 0;
    for (int j = 0; j < 6; ++j) inner += A[i][j] * (x[j] - P[i][j]) * (x[j] - P[i][j]);
    s += alpha[i] * std::exp(-inner);
  }
  return -s;
}

double Rosenbrock(const std::vector<double>& x) {
  double s = 0;
  for (size_t i = 0; i + 1 < x.size(); ++i)
    s += 100 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(x[i] - 1, 2);
  return s;
}

double Ackley(const std::vector<double>& x) {
  double d = static_cast<double>(x.size()), s1 = 0, s2 = 0;
  for (double v : x) {
    s1 += v * v;
    s2 += std::cos(2 * kPi * v);
  }
  return -20 * std::exp(-0.2 * std::sqrt(s1 / d)) - std::exp(s2 / d) + 20 + std::exp(1.0);
}

double Levy(const std::vector<double>& x) {
  size_t d = x.size();
  auto w = [&](size_t i) { return 1 + (x[i] - 1) / 4; };
  double s = std::pow(std::sin(kPi * w(0)), 2);
  for (size_t i = 0; i + 1 < d; ++i)
    s += std::pow(w(i) - 1, 2) * (1 + 10 * std::pow(std::sin(kPi * w(i) + 1), 2));
  s += std::pow(w(d - 1) - 1, 2) * (1 + std::pow(std::sin(2 * kPi * w(d - 1)), 2));
  return s;
}

double StyblinskiTang(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v * v * v * v - 16 * v * v + 5 * v;
  return s / 2;
}

// Minimum 0 at layers 4, lr 10^-2.5, dropout 0.3, batch 64, relu, adam(beta1 .9, eps 1e-8).
double Mixed(const json& c) {
  double layers = c.at("layers").get<double>();
  double lr = c.at("lr").get<double>();
  double dropout = c.at("dropout").get<double>();
  static const std::map<int, double> batch_cost = {{16, 1.5}, {32, 0.5}, {64, 0}, {128, 0.5}, {256, 1.5}};
  static const std::map<std::string, double> act_cost = {{"relu", 0}, {"tanh", 0.3}, {"sigmoid", 1.0}};
  double f = 0.5 * std::pow(layers - 4, 2) + std::pow(std::log10(lr) + 2.5, 2) + 2 * std::pow(dropout - 0.3, 2) +
             batch_cost.at(c.at("batch").get<int>()) + act_cost.at(c.at("act").get<std::string>());
  const json& opt = c.at("opt");
  std::string name = opt.at("_name").get<std::string>();
  if (name == "sgd") {
    f += 1 + 4 * std::pow(opt.at("momentum").get<double>() - 0.9, 2);
  } else if (name == "adam") {
    f += 10 * std::pow(opt.at("beta1").get<double>() - 0.9, 2) + 0.2 * std::pow(std::log10(opt.at("eps").get<double>()) + 8, 2);
  } else {
    f += 0.8;
  }
  return f;
}

const char* kMixedSpace = R"({
  "layers": {"_type": "randint", "_value": [1, 9]},
  "lr": {"_type": "loguniform", "_value": [1e-5, 1]},
  "dropout": {"_type": "quniform", "_value": [0, 0.8, 0.1]},
  "batch": {"_type": "choice", "_value": [16, 32, 64, 128, 256]},
  "act": {"_type": "choice", "_value": ["relu", "tanh", "sigmoid"]},
  "opt": {"_type": "choice", "_value": [
    {"_name": "sgd", "momentum": {"_type": "uniform", "_value": [0, 1]}},
    {"_name": "adam", "beta1": {"_type": "uniform", "_value": [0.5, 0.999]},
                      "eps": {"_type": "loguniform", "_value": [1e-10, 1e-4]}},
    {"_name": "rmsprop"}]}})";

TestFunction Boxed(std::string name, int d, double lo, double hi, double optimum,
                   double (*f)(const std::vector<double>&)) {
  return TestFunction{std::move(name), Box(d, lo, hi), optimum,
                      [d, f](const json& c) { return f(Vec(c, d)); }};
}

}  // namespace

std::vector<TestFunction> AllFunctions() {
  std::vector<TestFunction> out;
  // Branin needs x0 in [-5, 10], x1 in [0, 15].
  TestFunction branin{"branin", json::object(), 0.39788735772973816, [](const json& c) { return Branin(Vec(c, 2)); }};
  branin.space["x0"] = {{"_type", "uniform"}, {"_value", {-5, 10}}};
  branin.space["x1"] = {{"_type", "uniform"}, {"_value", {0, 15}}};
  out.push_back(std::move(branin));
  out.push_back(Boxed("hartmann6", 6, 0, 1, -3.322368011391339, Hartmann6));
  out.push_back(Boxed("rosenbrock10", 10, -5, 10, 0, Rosenbrock));
  // Ackley on [-5, 10] rather than the symmetric [-32.768, 32.768], so that the box's
  // centre (where grid search starts) is not the optimum.
  out.push_back(Boxed("ackley10", 10, -5, 10, 0, Ackley));
  out.push_back(Boxed("levy10", 10, -10, 10, 0, Levy));
  out.push_back(Boxed("styblinski_tang8", 8, -5, 5, -39.16616570377142 * 8, StyblinskiTang));
  out.push_back(TestFunction{"mixed", json::parse(kMixedSpace), 0, Mixed});
  return out;
}

}  // namespace hone::bench
