#include "tuners/gp/gp_tuner.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tuners/gp/log_ei.h"

namespace hone {
namespace {

constexpr size_t kMaxFitPoints = 150;
constexpr size_t kTopObserved = 5;
constexpr int kPerturbationsEach = 40;
constexpr size_t kLocalStarts = 5;
constexpr int kLocalIterations = 40;

uint32_t Low(uint64_t v) { return static_cast<uint32_t>(v); }
uint32_t High(uint64_t v) { return static_cast<uint32_t>(v >> 32); }

// The data count whose hyperparameters serve `n` observations.
size_t RefitPoint(size_t n) {
  if (n <= 50) return n;
  if (n <= 200) return n - n % 10;
  return n - n % 50;
}

Eigen::MatrixXd ToMatrix(const std::vector<std::vector<double>>& rows, size_t d) {
  Eigen::MatrixXd m(rows.size(), d);
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < d; ++j) m(i, j) = rows[i][j];
  return m;
}

std::pair<double, double> MeanStd(const std::vector<double>& v) {
  double mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  double sd = std::sqrt(ss / v.size());
  return {mean, sd > 1e-12 ? sd : 1.0};
}

std::vector<double> LogEi(const GaussianProcess& gp, const Eigen::MatrixXd& xs, double best) {
  Eigen::VectorXd mean, var;
  gp.Predict(xs, mean, var);
  std::vector<double> out(xs.rows());
  for (Eigen::Index i = 0; i < xs.rows(); ++i)
    out[i] = LogExpectedImprovement(mean[i], std::sqrt(var[i]), best);
  return out;
}

StatusOr<int> IntArg(const nlohmann::json& args, const char* key, int fallback, int min) {
  if (!args.is_object() || !args.contains(key)) return fallback;
  const auto& v = args[key];
  if (!v.is_number() || std::trunc(v.get<double>()) != v.get<double>() || v.get<double>() < min)
    return InvalidArgument(std::string("gp: classArgs.") + key + ": expected an integer >= " +
                           std::to_string(min) + ", but got " + v.dump());
  return static_cast<int>(v.get<double>());
}

}  // namespace

StatusOr<std::unique_ptr<Tuner>> GpTuner::Create(const TunerContext& ctx) {
  if (ctx.space == nullptr) return InvalidArgument("gp: no search space");
  GpTunerOptions o;
  o.seed = ctx.seed;
  o.mode = ctx.mode;
  const auto& args = ctx.class_args;
  if (args.is_object() && args.contains("seed")) {
    const auto& s = args["seed"];
    if (!s.is_number() || std::trunc(s.get<double>()) != s.get<double>())
      return InvalidArgument("gp: classArgs.seed: expected an integer, but got " + s.dump());
    o.seed = static_cast<uint64_t>(static_cast<long long>(s.get<double>()));
  }
  if (args.is_object() && args.contains("optimize_mode")) {
    const auto& m = args["optimize_mode"];
    if (m == "maximize") o.mode = OptimizeMode::kMaximize;
    else if (m == "minimize") o.mode = OptimizeMode::kMinimize;
    else return InvalidArgument("gp: classArgs.optimize_mode: expected maximize or minimize, but got " + m.dump());
  }
  auto startup = IntArg(args, "n_startup_jobs", o.n_startup_jobs, 0);
  if (!startup.ok()) return startup.status();
  o.n_startup_jobs = *startup;
  auto candidates = IntArg(args, "n_candidates", o.n_candidates, 10);
  if (!candidates.ok()) return candidates.status();
  o.n_candidates = *candidates;
  return std::unique_ptr<Tuner>(new GpTuner(*ctx.space, o));
}

GpTuner::GpTuner(const SearchSpace& space, GpTunerOptions options)
    : space_(space), options_(options), encoding_(space), seen_(space) {}

std::mt19937_64 GpTuner::RngFor(uint64_t k) const {
  std::seed_seq seq{Low(options_.seed), High(options_.seed), Low(k), High(k), 0x6770u};
  return std::mt19937_64(seq);
}

std::optional<nlohmann::json> GpTuner::RandomNext(std::mt19937_64& rng) {
  return seen_.DrawUnseen(space_, rng);
}

const GpHyper& GpTuner::Hyper() {
  size_t m = RefitPoint(ys_.size());
  if (m == hyper_m_ && hyper_.theta.size() > 0) return hyper_;
  std::vector<size_t> idx;
  if (m <= kMaxFitPoints) {
    for (size_t i = 0; i < m; ++i) idx.push_back(i);
  } else {
    for (size_t i = 0; i < kMaxFitPoints; ++i) idx.push_back(i * m / kMaxFitPoints);
  }
  std::vector<std::vector<double>> rows;
  std::vector<double> vals;
  for (size_t i : idx) {
    rows.push_back(xs_[i]);
    vals.push_back(ys_[i]);
  }
  auto [mean, sd] = MeanStd(vals);
  Eigen::VectorXd y(vals.size());
  for (size_t i = 0; i < vals.size(); ++i) y[i] = (vals[i] - mean) / sd;
  hyper_ = FitGpHyper(ToMatrix(rows, encoding_.size()), y);
  hyper_m_ = m;
  return hyper_;
}

std::optional<nlohmann::json> GpTuner::ModelNext(const GaussianProcess& gp, double best,
                                                 std::mt19937_64& rng, std::vector<double>* chosen) {
  const size_t d = encoding_.size();
  std::vector<std::vector<double>> cands;
  cands.reserve(options_.n_candidates + kTopObserved * kPerturbationsEach);
  for (int i = 0; i < options_.n_candidates; ++i) cands.push_back(encoding_.Encode(space_.Sample(rng)));

  // Perturbations of the best observed points: numeric dimensions jittered, each choice
  // re-drawn now and then; canonicalized so that choices stay one-hot.
  std::vector<size_t> order(ys_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ys_[a] < ys_[b]; });
  std::normal_distribution<double> jitter(0.0, 1.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto& dims = encoding_.dims();
  for (size_t t = 0; t < std::min(kTopObserved, order.size()); ++t) {
    for (int r = 0; r < kPerturbationsEach; ++r) {
      std::vector<double> x = xs_[order[t]];
      double scale = 0.2 * std::pow(0.5, r % 5);
      for (size_t j = 0; j < d; ++j) {
        if (!dims[j].categorical) {
          x[j] = std::clamp(x[j] + scale * jitter(rng), 0.0, 1.0);
        } else if (dims[j].block == j && unit(rng) < 0.15) {
          size_t pick = std::uniform_int_distribution<size_t>(0, dims[j].block_size - 1)(rng);
          for (size_t i = 0; i < dims[j].block_size; ++i) x[j + i] = (i == pick);
        }
      }
      cands.push_back(encoding_.Encode(encoding_.Decode(x)));
    }
  }
  std::vector<double> acq = LogEi(gp, ToMatrix(cands, d), best);
  std::vector<size_t> rank(cands.size());
  std::iota(rank.begin(), rank.end(), 0);
  std::stable_sort(rank.begin(), rank.end(), [&](size_t a, size_t b) { return acq[a] > acq[b]; });

  // Pattern search over the active numeric dimensions from the best few candidates.
  std::vector<std::pair<double, std::vector<double>>> pool;
  for (size_t s = 0; s < std::min(kLocalStarts, rank.size()); ++s) {
    std::vector<double> x = cands[rank[s]];
    double value = acq[rank[s]];
    std::vector<bool> active = encoding_.ActiveDims(x);
    std::vector<size_t> free;
    for (size_t j = 0; j < d; ++j)
      if (active[j] && !dims[j].categorical) free.push_back(j);
    double step = 0.1;
    for (int it = 0; it < kLocalIterations && !free.empty() && step >= 1e-3; ++it) {
      std::vector<std::vector<double>> moves;
      for (size_t j : free)
        for (double sign : {-1.0, 1.0}) {
          std::vector<double> y = x;
          y[j] = std::clamp(y[j] + sign * step, 0.0, 1.0);
          moves.push_back(std::move(y));
        }
      std::vector<double> v = LogEi(gp, ToMatrix(moves, d), best);
      size_t arg = std::max_element(v.begin(), v.end()) - v.begin();
      if (v[arg] > value + 1e-12) {
        value = v[arg];
        x = moves[arg];
      } else {
        step /= 2;
      }
    }
    pool.emplace_back(value, std::move(x));
  }
  for (size_t i : rank) pool.emplace_back(acq[i], cands[i]);
  std::stable_sort(pool.begin(), pool.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [value, x] : pool) {
    nlohmann::json config = encoding_.Decode(x);
    if (!seen_.Insert(config)) continue;
    *chosen = encoding_.Encode(config);
    return config;
  }
  return std::nullopt;
}

StatusOr<std::vector<nlohmann::json>> GpTuner::Suggest(int count) {
  std::vector<nlohmann::json> out;
  std::optional<GaussianProcess> gp;
  std::vector<std::vector<double>> data_x = xs_;
  std::vector<double> data_y;  // standardized, fantasies appended
  double best = 0;
  const size_t min_obs = 2;  // a model needs two distinct values to standardize
  for (int i = 0; i < count && !IsExhausted(); ++i) {
    std::mt19937_64 rng = RngFor(handed_out_);
    std::optional<nlohmann::json> config;
    bool use_model = handed_out_ >= static_cast<uint64_t>(options_.n_startup_jobs) &&
                     ys_.size() >= min_obs && encoding_.size() > 0;
    if (use_model) {
      const size_t d = encoding_.size();
      if (!gp) {
        auto [mean, sd] = MeanStd(ys_);
        for (double v : ys_) data_y.push_back((v - mean) / sd);
        best = *std::min_element(data_y.begin(), data_y.end());
        const GpHyper& h = Hyper();
        Eigen::VectorXd y = Eigen::Map<Eigen::VectorXd>(data_y.data(), data_y.size());
        gp.emplace(ToMatrix(data_x, d), y, h);
        if (!running_.empty()) {
          Eigen::VectorXd m, v;
          gp->Predict(ToMatrix(running_, d), m, v);
          for (size_t r = 0; r < running_.size(); ++r) {
            data_x.push_back(running_[r]);
            data_y.push_back(m[r]);
            best = std::min(best, m[r]);  // believed values count as observed ones
          }
          y = Eigen::Map<Eigen::VectorXd>(data_y.data(), data_y.size());
          gp.emplace(ToMatrix(data_x, d), y, h);
        }
      }
      std::vector<double> chosen;
      config = ModelNext(*gp, best, rng, &chosen);
      if (config && i + 1 < count) {
        Eigen::VectorXd m, v;
        gp->Predict(ToMatrix({chosen}, d), m, v);
        data_x.push_back(chosen);
        data_y.push_back(m[0]);
        best = std::min(best, m[0]);
        Eigen::VectorXd y = Eigen::Map<Eigen::VectorXd>(data_y.data(), data_y.size());
        GpHyper h = gp->hyper();
        gp.emplace(ToMatrix(data_x, d), y, h);
      }
    }
    if (!config) config = RandomNext(rng);
    if (!config) break;
    ++handed_out_;
    out.push_back(std::move(*config));
  }
  if (out.empty() && IsExhausted() && count > 0) {
    return Exhausted("gp: the search space has " + std::to_string(seen_.enumerator()->size()) +
                     " configurations and all have been suggested");
  }
  return out;
}

void GpTuner::Update(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) {
  for (const auto& r : completed) {
    if (!r.params.is_object()) continue;
    seen_.Insert(r.params);
    if (!r.HasRankableFinal()) continue;
    xs_.push_back(encoding_.Encode(r.params));
    ys_.push_back(options_.mode == OptimizeMode::kMinimize ? *r.final_value : -*r.final_value);
  }
  running_.clear();
  for (const auto& r : active) {
    if (!r.params.is_object()) continue;
    seen_.Insert(r.params);
    running_.push_back(encoding_.Encode(r.params));
  }
  handed_out_ = std::max<uint64_t>(handed_out_, seen_.size());
}

void RegisterGpTuner(Registry& registry) {
  TunerInfo info;
  info.name = "gp";
  info.aliases = {"GPTuner"};
  info.summary = "Gaussian-process Bayesian optimization (Matérn-5/2 ARD, log expected improvement)";
  info.args = {OptimizeModeArg(), MakeArg("seed", ArgSpec::Kind::kInt),
               MakeArg("n_startup_jobs", ArgSpec::Kind::kInt, 0), MakeArg("n_candidates", ArgSpec::Kind::kInt, 10)};
  info.create = &GpTuner::Create;
  registry.AddTuner(std::move(info));
}

}  // namespace hone
