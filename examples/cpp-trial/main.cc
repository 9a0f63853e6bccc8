// A C++ trial: simulates training a classifier for 8 epochs under the configuration hone
// passes in, reporting validation loss per epoch and a final loss plus accuracy.
// `optimizer` is a nested choice: an object with "_name" and that optimizer's parameters.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <thread>

#include <hone/trial.h>

namespace {

// How far a learning rate is from the best one for its optimizer, in decades squared.
double LearningRateMiss(const nlohmann::json& optimizer) {
  std::string name = optimizer.value("_name", "sgd");
  double lr = optimizer.value("lr", 0.01);
  double best = 0.003;  // adam
  if (name == "sgd") {
    lr /= 1.0 - optimizer.value("momentum", 0.0);  // momentum scales the step
    best = 0.1;
  }
  double decades = std::log10(lr / best);
  return decades * decades;
}

}  // namespace

int main() {
  nlohmann::json params = hone::trial::GetParams();
  nlohmann::json optimizer =
      params.value("optimizer", nlohmann::json{{"_name", "sgd"}, {"lr", 0.01}});
  double width = params.value("width", 64);
  double dropout = params.value("dropout", 0.0);
  std::cout << "trial " << hone::trial::TrialId() << " params " << params.dump() << std::endl;

  double miss = LearningRateMiss(optimizer);
  double overfit = std::max(0.0, width / 256.0 - dropout);
  double floor = 0.15 + 0.3 * miss + 1.5 / std::sqrt(width) + 0.8 * overfit * overfit;
  double rate = 0.7 / (1.0 + miss);

  std::mt19937_64 rng(static_cast<uint64_t>(hone::trial::TrialSeq()));
  std::normal_distribution<double> noise(0.0, 0.02);
  double loss = 2.3;
  for (int epoch = 0; epoch < 8; ++epoch) {
    std::this_thread::sleep_for(std::chrono::milliseconds(120));
    loss = floor + (2.3 - floor) * std::exp(-rate * (epoch + 1)) + noise(rng);
    hone::trial::ReportIntermediate(loss);
  }
  double accuracy = std::exp(-loss);
  hone::trial::ReportFinal({{"default", loss}, {"accuracy", accuracy}});
  return 0;
}
