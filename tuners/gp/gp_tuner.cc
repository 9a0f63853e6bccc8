#include "tuners/gp/gp_tuner.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tuners/gp/log_ei.h"
#include "tuners/tuner_args.h"

namespace hone {
namespace {

constexpr size_t kMaxFitPoints = 150;
constexpr size_t kTopObserved = 5;
constexpr int kPerturbationsEach = 40;
constexpr size_t kLocalStarts = 5;
constexpr int kLocalIterations = 40;

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

}  // namespace

StatusOr<std::unique_ptr<Tuner>> GpTuner::Create(const TunerContext& ctx) {
  if (ctx.space == nullptr) return InvalidArgument("gp: no search space");
  const nlohmann::json& args = ctx.class_args;
  GpTunerOptions o;
  o.seed = SeedThroughDouble(args, ctx.seed);
  o.mode = ModeArgOr(args, ctx.mode);
  o.n_startup_jobs = ArgOr<int>(args, "n_startup_jobs", o.n_startup_jobs);
  o.n_candidates = ArgOr<int>(args, "n_candidates", o.n_candidates);
  return std::unique_ptr<Tuner>(new GpTuner(*ctx.space, o));
}

GpTuner::GpTuner(const SearchSpace& space, GpTunerOptions options)
    : DrawTuner(space, options.seed, 0x6770u), options_(options), encoding_(space) {}

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

void GpTuner::StartBatch(Batch& b) {
  const size_t d = encoding_.size();
  auto [mean, sd] = MeanStd(ys_);
  for (double v : ys_) b.ys.push_back((v - mean) / sd);
  b.best = *std::min_element(b.ys.begin(), b.ys.end());
  const GpHyper& h = Hyper();
  Eigen::VectorXd y = Eigen::Map<Eigen::VectorXd>(b.ys.data(), b.ys.size());
  b.gp.emplace(ToMatrix(b.xs, d), y, h);
  if (running_.empty()) return;
  Eigen::VectorXd m, v;
  b.gp->Predict(ToMatrix(running_, d), m, v);
  for (size_t r = 0; r < running_.size(); ++r) {
    b.xs.push_back(running_[r]);
    b.ys.push_back(m[r]);
    b.best = std::min(b.best, m[r]);  // believed values count as observed ones
  }
  y = Eigen::Map<Eigen::VectorXd>(b.ys.data(), b.ys.size());
  b.gp.emplace(ToMatrix(b.xs, d), y, h);
}

StatusOr<std::vector<nlohmann::json>> GpTuner::Suggest(int count) {
  if (count <= 0) return std::vector<nlohmann::json>{};
  Batch batch;
  batch.xs = xs_;
  const size_t min_obs = 2;  // a model needs two distinct values to standardize
  return DrawEach(count, [&](const std::vector<nlohmann::json>& so_far) {
    std::mt19937_64 rng = RngFor(handed_out_);
    std::optional<nlohmann::json> config;
    bool use_model = handed_out_ >= static_cast<uint64_t>(options_.n_startup_jobs) &&
                     ys_.size() >= min_obs && encoding_.size() > 0;
    if (use_model) {
      const size_t d = encoding_.size();
      if (!batch.gp) StartBatch(batch);
      std::vector<double> chosen;
      config = ModelNext(*batch.gp, batch.best, rng, &chosen);
      if (config && static_cast<int>(so_far.size()) + 1 < count) {
        Eigen::VectorXd m, v;
        batch.gp->Predict(ToMatrix({chosen}, d), m, v);
        batch.xs.push_back(chosen);
        batch.ys.push_back(m[0]);
        batch.best = std::min(batch.best, m[0]);
        Eigen::VectorXd y = Eigen::Map<Eigen::VectorXd>(batch.ys.data(), batch.ys.size());
        GpHyper h = batch.gp->hyper();
        batch.gp.emplace(ToMatrix(batch.xs, d), y, h);
      }
    }
    if (!config) config = seen_.DrawUnseen(space_, rng);
    return config;
  });
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
  CatchUp();
}

}  // namespace hone
