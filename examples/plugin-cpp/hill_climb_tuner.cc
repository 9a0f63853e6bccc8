// A tuner plugin in C++, loaded into hone with dlopen: random warm-up, then a hill
// climber that perturbs the best configuration so far. It implements the C ABI of
// hone's plugin protocol (tuners/plugin/plugin_protocol.h) and depends on nlohmann/json
// only. Supported parameter types: choice (plain values), randint, uniform, quniform,
// loguniform, qloguniform.
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

using nlohmann::json;

namespace {

struct Param {
  std::string name, type;
  json values;  // choice
  double low = 0, high = 1, q = 0;
};

class HillClimb {
 public:
  std::string Handle(const std::string& text) {
    json req = json::parse(text, nullptr, false);
    if (req.is_discarded() || !req.is_object()) return Error("request is not a JSON object");
    std::string type = req.value("type", "");
    try {
      if (type == "init") return Init(req);
      if (type == "suggest") return Suggest(req.value("count", 1));
      if (type == "update") return Update(req);
      if (type == "shutdown") return "{}";
      return Error("unexpected request '" + type + "'");
    } catch (const std::exception& e) {
      return Error(e.what());
    }
  }

 private:
  static std::string Error(const std::string& msg) { return json{{"error", msg}}.dump(); }

  std::string Init(const json& req) {
    seed_ = req.value("seed", uint64_t{0});
    minimize_ = req.value("optimize_mode", "maximize") == "minimize";
    const json& args = req["class_args"];
    warmup_ = args.value("warmup", 5);
    step_ = args.value("step", 0.1);
    for (const auto& [name, spec] : req["search_space"].items()) {
      Param p;
      p.name = name;
      p.type = spec.value("_type", "");
      const json& v = spec["_value"];
      if (p.type == "choice") {
        for (const auto& o : v)
          if (o.is_object()) return Error("nested choices are not supported by this example ('" + name + "')");
        p.values = v;
      } else if (p.type == "randint" || p.type == "uniform" || p.type == "loguniform" ||
                 p.type == "quniform" || p.type == "qloguniform") {
        p.low = v.at(0).get<double>();
        p.high = v.at(1).get<double>();
        if (p.type[0] == 'q') p.q = v.at(2).get<double>();
      } else {
        return Error("unsupported _type '" + p.type + "' for '" + name + "'");
      }
      params_.push_back(p);
    }
    return "{}";
  }

  // Fresh randomness per configuration handed out: a resumed tuner that has been told
  // about n configurations continues where an uninterrupted one would.
  std::mt19937_64 Rng() { return std::mt19937_64(seed_ * 1000003u + handed_out_ * 7919u + 17u); }

  double Finish(const Param& p, double x) const {
    if (p.q > 0) x = std::nearbyint(x / p.q) * p.q;
    if (p.type == "randint") x = std::floor(x);
    double hi = p.type == "randint" ? p.high - 1 : p.high;
    return std::min(std::max(x, p.low), hi);
  }

  json Sample(std::mt19937_64& rng) const {
    json c = json::object();
    std::uniform_real_distribution<double> u(0, 1);
    for (const auto& p : params_) {
      if (p.type == "choice") {
        c[p.name] = p.values[static_cast<size_t>(u(rng) * static_cast<double>(p.values.size())) % p.values.size()];
      } else if (p.type == "randint") {
        c[p.name] = static_cast<int64_t>(Finish(p, p.low + u(rng) * (p.high - p.low)));
      } else if (p.type.find("log") != std::string::npos) {
        c[p.name] = Finish(p, std::exp(std::log(p.low) + u(rng) * (std::log(p.high) - std::log(p.low))));
      } else {
        c[p.name] = Finish(p, p.low + u(rng) * (p.high - p.low));
      }
    }
    return c;
  }

  json Perturb(const json& base, std::mt19937_64& rng) const {
    json c = base;
    std::uniform_real_distribution<double> u(0, 1);
    std::normal_distribution<double> n(0, step_);
    for (const auto& p : params_) {
      if (p.type == "choice") {
        if (u(rng) < 0.2) c[p.name] = p.values[static_cast<size_t>(u(rng) * static_cast<double>(p.values.size())) % p.values.size()];
      } else if (p.type.find("log") != std::string::npos) {
        double lx = std::log(base[p.name].get<double>()) + n(rng) * (std::log(p.high) - std::log(p.low));
        c[p.name] = Finish(p, std::exp(lx));
      } else {
        double x = base[p.name].get<double>() + n(rng) * (p.high - p.low);
        if (p.type == "randint") c[p.name] = static_cast<int64_t>(Finish(p, std::nearbyint(x)));
        else c[p.name] = Finish(p, x);
      }
    }
    return c;
  }

  std::string Suggest(int count) {
    json configs = json::array();
    for (int i = 0; i < count; ++i) {
      json c;
      for (int attempt = 0; attempt < 50; ++attempt) {
        auto rng = Rng();
        for (int k = 0; k < attempt; ++k) rng.discard(97);
        c = (handed_out_ < static_cast<uint64_t>(warmup_) || best_.is_null()) ? Sample(rng) : Perturb(best_, rng);
        if (!seen_.count(c.dump())) break;
      }
      if (seen_.count(c.dump())) break;  // the neighbourhood is used up for now
      seen_.insert(c.dump());
      ++handed_out_;
      configs.push_back(c);
    }
    return json{{"configs", configs}}.dump();
  }

  std::string Update(const json& req) {
    for (const char* key : {"completed", "active"}) {
      for (const auto& t : req[key]) {
        if (seen_.insert(t["params"].dump()).second) ++handed_out_;  // learned on resume
      }
    }
    for (const auto& t : req["completed"]) {
      if (t["status"] != "succeeded" || !t["final"].is_number()) continue;  // NaN/Inf arrive as strings
      double v = t["final"].get<double>();
      if (best_.is_null() || (minimize_ ? v < best_value_ : v > best_value_)) {
        best_ = t["params"];
        best_value_ = v;
      }
    }
    return "{}";
  }

  std::vector<Param> params_;
  uint64_t seed_ = 0;
  bool minimize_ = false;
  int warmup_ = 5;
  double step_ = 0.1;
  uint64_t handed_out_ = 0;
  std::set<std::string> seen_;
  json best_;
  double best_value_ = 0;
  std::string reply_;  // owned here until the next call

  friend const char* CallImpl(HillClimb*, const char*);
};

const char* CallImpl(HillClimb* self, const char* request) {
  self->reply_ = self->Handle(request ? request : "");
  return self->reply_.c_str();
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) void* hone_plugin_create(void) { return new HillClimb(); }

__attribute__((visibility("default"))) const char* hone_plugin_call(void* state, const char* request) {
  return CallImpl(static_cast<HillClimb*>(state), request);
}

__attribute__((visibility("default"))) void hone_plugin_destroy(void* state) {
  delete static_cast<HillClimb*>(state);
}

}  // extern "C"
