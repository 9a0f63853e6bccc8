#include "engine/trial_env.h"

#include <cstdlib>
#include <sstream>

namespace hone {

std::string FormatValue(double v) {
  std::ostringstream os;
  os.precision(6);
  os << v;
  return os.str();
}

std::string JsonDump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::map<std::string, std::string> TrialEnvironment(const TrialRecord& r, const TrialEnvOptions& options) {
  const std::string& dir = options.trial_dir;
  std::string output = dir + "/output";
  std::map<std::string, std::string> env = {
      {"HONE_PARAMS", JsonDump(r.params)},
      {"HONE_TRIAL_DIR", dir},
      {"HONE_OUTPUT_DIR", output},
      {"HONE_TRIAL_ID", r.id},
      {"HONE_TRIAL_SEQ", std::to_string(r.seq)},
      {"HONE_EXPERIMENT_ID", options.experiment_id},
      // What NNI trial code expects to find.
      {"NNI_PLATFORM", "hone"},
      {"NNI_EXP_ID", options.experiment_id},
      {"NNI_TRIAL_JOB_ID", r.id},
      {"NNI_TRIAL_SEQ_ID", std::to_string(r.seq)},
      {"NNI_SYS_DIR", dir},
      {"NNI_OUTPUT_DIR", output},
  };
  if (!options.sdk_python_dir.empty()) {
    const char* existing = std::getenv("PYTHONPATH");
    env["PYTHONPATH"] = options.sdk_python_dir +
                        (existing && *existing ? std::string(":") + existing : std::string());
  }
  return env;
}

}  // namespace hone
