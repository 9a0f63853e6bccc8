#include "tuners/grid_tuner.h"

#include <cmath>

#include "tuners/config_key.h"
#include "tuners/normal_quantile.h"
#include "tuners/space_enumerator.h"

namespace hone {
namespace {

// The value of a continuous parameter at position u in (0, 1) of its range.
double RawPoint(const ParamSpec& p, double u) {
  switch (p.type) {
    case ParamType::kLoguniform:
    case ParamType::kQloguniform:
      return std::exp(std::log(p.a) + (std::log(p.b) - std::log(p.a)) * u);
    case ParamType::kNormal:
    case ParamType::kQnormal:
      return p.a + p.b * NormalQuantile(u);
    case ParamType::kLognormal:
    case ParamType::kQlognormal:
      return std::exp(p.a + p.b * NormalQuantile(u));
    default:
      return p.a + (p.b - p.a) * u;
  }
}

}  // namespace

StatusOr<std::unique_ptr<Tuner>> GridTuner::Create(const TunerContext& ctx) {
  if (ctx.space == nullptr) return InvalidArgument("grid: no search space");
  return std::unique_ptr<Tuner>(new GridTuner(*ctx.space));
}

GridTuner::GridTuner(const SearchSpace& space) : space_(space), seen_(space) {
  Flatten(space, -1, 0);
}

void GridTuner::Flatten(const SearchSpace& space, int parent, size_t parent_option) {
  for (const auto& p : space.params()) {
    size_t index = dims_.size();
    dims_.emplace_back();
    dims_[index].spec = &p;
    dims_[index].parent = parent;
    dims_[index].parent_option = parent_option;
    if (p.type == ParamType::kChoice) {
      for (size_t i = 0; i < p.options.size(); ++i) dims_[index].values.emplace_back(i);
      for (size_t i = 0; i < p.nested.size(); ++i) {
        size_t before = dims_.size();
        Flatten(p.nested[i], static_cast<int>(index), i);
        dims_[index].option_dims.push_back(dims_.size() - before);
      }
    } else if (auto values = DiscreteValues(p)) {
      dims_[index].values = std::move(*values);
    } else {
      dims_[index].continuous = true;
    }
  }
}

bool GridTuner::AdvanceEpoch() {
  if (epoch_ > 0)
    for (auto& d : dims_) d.epoch_bar = d.values.size();
  bool any_continuous = false;
  for (const auto& d : dims_) any_continuous |= d.continuous;
  // The first epoch always yields (the discrete combinations, or the midpoints). Later
  // ones may add nothing when q-rounding maps every new point onto an old value; the
  // finer epochs after them can still reach new values (the tails of a qnormal).
  bool any_new = epoch_ == 0;
  do {
    if (epoch_ > 0 && (!any_continuous || epoch_ >= kMaxEpoch)) return false;
    ++epoch_;
    double denominator = std::ldexp(1.0, epoch_);
    for (auto& d : dims_) {
      if (!d.continuous) continue;
      for (double j = 1; j < denominator; j += 2) {
        nlohmann::json v = d.spec->Finish(RawPoint(*d.spec, j / denominator));
        if (!std::isfinite(v.get<double>())) continue;
        if (!d.value_keys.insert(ConfigKey(v)).second) continue;
        d.values.push_back(std::move(v));
        any_new = true;
      }
    }
  } while (!any_new);
  vector_.assign(dims_.size(), 0);
  return true;
}

std::vector<bool> GridTuner::ActiveDims() const {
  std::vector<bool> active(dims_.size());
  for (size_t i = 0; i < dims_.size(); ++i) {
    const Dim& d = dims_[i];
    active[i] = d.parent < 0 || (active[d.parent] && vector_[d.parent] == d.parent_option);
  }
  return active;
}

bool GridTuner::NextVector() {
  // An odometer over the active dims, the last one fastest. Dims under an option that
  // is not chosen stay at 0, so every combination of active values comes up once.
  std::vector<bool> active = ActiveDims();
  for (size_t i = dims_.size(); i-- > 0;) {
    if (!active[i]) continue;
    if (vector_[i] + 1 < dims_[i].values.size()) {
      ++vector_[i];
      for (size_t j = i + 1; j < dims_.size(); ++j) vector_[j] = 0;
      return true;
    }
    vector_[i] = 0;
  }
  return false;
}

bool GridTuner::VectorIsNew() const {
  if (epoch_ == 1) return true;
  std::vector<bool> active = ActiveDims();
  for (size_t i = 0; i < dims_.size(); ++i)
    if (active[i] && vector_[i] >= dims_[i].epoch_bar) return true;
  return false;
}

nlohmann::json GridTuner::Build(const SearchSpace& space, size_t& dim) const {
  auto out = nlohmann::json::object();
  for (const auto& p : space.params()) {
    size_t index = dim++;
    const Dim& d = dims_[index];
    size_t pick = vector_[index];
    if (p.IsNestedChoice()) {
      for (size_t opt = 0; opt < p.nested.size(); ++opt) {
        if (opt != pick) {
          dim += d.option_dims[opt];
          continue;
        }
        nlohmann::json sub = Build(p.nested[opt], dim);
        sub["_name"] = p.options[opt];
        out[p.name] = std::move(sub);
      }
    } else if (p.type == ParamType::kChoice) {
      out[p.name] = p.options[pick];
    } else {
      out[p.name] = d.values[pick];
    }
  }
  return out;
}

std::optional<nlohmann::json> GridTuner::NextCandidate() {
  while (!done_) {
    if (!positioned_ || !NextVector()) {
      if (!AdvanceEpoch()) {
        done_ = true;
        break;
      }
      positioned_ = true;
    }
    if (VectorIsNew()) {
      size_t dim = 0;
      return Build(space_, dim);
    }
  }
  return std::nullopt;
}

StatusOr<std::vector<nlohmann::json>> GridTuner::Suggest(int count) {
  std::vector<nlohmann::json> out;
  while (static_cast<int>(out.size()) < count && !IsExhausted()) {
    auto config = NextCandidate();
    if (!config) break;
    if (seen_.Insert(*config)) out.push_back(std::move(*config));
  }
  if (out.empty() && IsExhausted()) {
    if (seen_.CoversSpace()) {
      return Exhausted("grid: the search space has " + std::to_string(seen_.enumerator()->size()) +
                       " configurations and all have been suggested");
    }
    return Exhausted("grid: every grid point down to 1/2^" + std::to_string(kMaxEpoch) +
                     " of each continuous range has been suggested");
  }
  return out;
}

void GridTuner::Update(std::span<const TrialRecord> completed,
                       std::span<const TrialRecord> active) {
  for (auto records : {completed, active})
    for (const auto& r : records)
      if (r.params.is_object()) seen_.Insert(r.params);
}

}  // namespace hone
