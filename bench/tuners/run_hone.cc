// Runs hone's registered tuners on the benchmark functions through AskTellStudy and
// prints one JSON line per run:
//   {"impl":"hone","tuner":"evolution","function":"branin","seed":3,"batch":8,
//    "optimum":0.397..,"values":[...one per evaluation...],"seconds":0.01}
// Modes:
//   run_hone [--tuners a,b] [--functions f,g] [--seeds N] [--seed-offset K]
//            [--budget 100] [--batch 1,8] [--args JSON] [--label NAME]
//       --args: classArgs for every tuner run; --label: the name written as "tuner".
//   run_hone --latency [--tuners a,b] [--history 1000]
//       per tuner: a fresh tuner gets `history` finished random trials of Hartmann-6,
//       then the median seconds of Suggest(1) + Update(that trial) over 5 repeats.
//   run_hone --list      the registered tuner names
//   run_hone --check     points and values, JSON lines (pipe into run_optuna.py --check)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bench/tuners/functions.h"
#include "tuners/ask_tell.h"
#include "tuners/builtin_tuners.h"

namespace hone::bench {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// One run: `budget` evaluations, asking `batch` at a time and telling the whole batch.
// Returns false when the tuner could not be created.
bool RunOne(const Registry& registry, const std::string& tuner, const json& args, const std::string& label,
            const TestFunction& f, int seed, int batch, int budget) {
  auto study = AskTellStudy::Create(registry, tuner, f.space, args, static_cast<uint64_t>(seed),
                                    OptimizeMode::kMinimize);
  if (!study.ok()) {
    std::cerr << tuner << " on " << f.name << ": " << study.status().message() << "\n";
    return false;
  }
  std::vector<double> values;
  auto start = Clock::now();
  std::string error;
  while (static_cast<int>(values.size()) < budget) {
    int want = std::min(batch, budget - static_cast<int>(values.size()));
    auto asked = (*study)->Ask(want);
    if (!asked.ok()) {
      error = asked.status().message();
      break;
    }
    if (asked->empty()) {
      error = "tuner returned nothing with no trial running";
      break;
    }
    for (const auto& s : *asked) {
      double v = f.eval(s.params);
      values.push_back(v);
      Status st = (*study)->Tell(s.trial, v);
      if (!st.ok()) error = st.message();
    }
  }
  json line = {{"impl", "hone"}, {"tuner", label.empty() ? tuner : label}, {"function", f.name}, {"seed", seed}, {"batch", batch},
               {"optimum", f.optimum}, {"values", values}, {"seconds", Seconds(start)}};
  if (!error.empty()) line["error"] = error;
  std::cout << line.dump() << std::endl;
  return true;
}

void Latency(const Registry& registry, const std::vector<std::string>& tuners, int history) {
  TestFunction f;
  for (auto& g : AllFunctions())
    if (g.name == "hartmann6") f = g;
  auto space = SearchSpace::FromJson(f.space);
  std::mt19937_64 rng(12345);
  std::vector<TrialRecord> done;
  for (int i = 0; i < history; ++i) {
    TrialRecord r;
    r.seq = r.config_id = i;
    r.id = std::to_string(i);
    r.status = TrialStatus::kSucceeded;
    r.params = space->Sample(rng);
    r.final_value = f.eval(r.params);
    r.final_metrics = {{"default", *r.final_value}};
    done.push_back(std::move(r));
  }
  for (const auto& name : tuners) {
    const TunerInfo* info = registry.FindTuner(name);
    if (!info) continue;
    TunerContext ctx;
    ctx.space = &*space;
    ctx.seed = 1;
    ctx.mode = OptimizeMode::kMinimize;
    auto tuner = info->create(ctx);
    if (!tuner.ok()) continue;
    auto t0 = Clock::now();
    (*tuner)->Update(done, {});
    double replay = Seconds(t0);
    std::vector<double> times;
    int64_t seq = history;
    for (int rep = 0; rep < 5; ++rep) {
      auto t = Clock::now();
      auto batch = (*tuner)->Suggest(1);
      if (!batch.ok() || batch->empty()) break;
      TrialRecord r;
      r.seq = r.config_id = seq++;
      r.status = TrialStatus::kSucceeded;
      r.params = (*batch)[0];
      r.final_value = f.eval(r.params);
      (*tuner)->Update(std::span<const TrialRecord>(&r, 1), {});
      times.push_back(Seconds(t));
    }
    if (times.empty()) continue;
    std::sort(times.begin(), times.end());
    json line = {{"impl", "hone"}, {"tuner", name}, {"history", history},
                 {"suggest_seconds", times[times.size() / 2]}, {"replay_seconds", replay}};
    std::cout << line.dump() << std::endl;
  }
}

// Three random points per function as JSON lines {"function", "params", "value"};
// `run_optuna.py --check` reads them and recomputes the values.
void Check() {
  for (const auto& f : AllFunctions()) {
    auto space = SearchSpace::FromJson(f.space);
    std::mt19937_64 rng(7);
    for (int i = 0; i < 3; ++i) {
      json c = space->Sample(rng);
      std::cout << json{{"function", f.name}, {"params", c}, {"value", f.eval(c)}}.dump() << "\n";
    }
  }
}

int Main(int argc, char** argv) {
  Registry registry;
  RegisterBuiltinTuners(registry);
  // Every registered tuner but the budget schedulers, whose trials must honour
  // TRIAL_BUDGET (bench/early_stopping compares those).
  std::vector<std::string> tuners;
  for (const auto& name : registry.TunerNames())
    if (name != "hyperband" && name != "bohb" && name != "pbt") tuners.push_back(name);
  std::vector<std::string> functions;
  for (const auto& f : AllFunctions()) functions.push_back(f.name);
  int seeds = 20, seed_offset = 0, budget = 100, history = 1000;
  std::vector<int> batches = {1, 8};
  bool latency = false;
  json args = json::object();
  std::string label;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--tuners") tuners = Split(next());
    else if (a == "--functions") functions = Split(next());
    else if (a == "--seeds") seeds = std::stoi(next());
    else if (a == "--seed-offset") seed_offset = std::stoi(next());
    else if (a == "--budget") budget = std::stoi(next());
    else if (a == "--history") history = std::stoi(next());
    else if (a == "--args") args = json::parse(next());
    else if (a == "--label") label = next();
    else if (a == "--batch") {
      batches.clear();
      for (const auto& b : Split(next())) batches.push_back(std::stoi(b));
    } else if (a == "--latency") latency = true;
    else if (a == "--list") {
      for (const auto& n : registry.TunerNames()) std::cout << n << "\n";
      return 0;
    } else if (a == "--check") {
      Check();
      return 0;
    } else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  if (latency) {
    Latency(registry, tuners, history);
    return 0;
  }
  std::vector<TestFunction> all = AllFunctions();
  for (const auto& name : functions) {
    auto it = std::find_if(all.begin(), all.end(), [&](const TestFunction& f) { return f.name == name; });
    if (it == all.end()) {
      std::cerr << "unknown function " << name << "\n";
      return 2;
    }
    for (const auto& tuner : tuners)
      for (int batch : batches)
        for (int s = seed_offset; s < seed_offset + seeds; ++s)
          if (!RunOne(registry, tuner, args, label, *it, s, batch, budget)) break;
  }
  return 0;
}

}  // namespace
}  // namespace hone::bench

int main(int argc, char** argv) { return hone::bench::Main(argc, argv); }
