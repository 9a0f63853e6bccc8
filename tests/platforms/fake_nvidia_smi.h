// A fake nvidia-smi for tests: a shell script in a temporary directory that prints
// gpus.csv for --query-gpu and apps.csv for --query-compute-apps, both editable while a
// test runs. Put dir() first on the PATH given to discovery.
#pragma once

#include <string>
#include <vector>

#include "tests/platforms/local_platform_test_util.h"

namespace hone::testing {

class FakeNvidiaSmi {
 public:
  // `gpus` lines like "0, GPU-a, 10, 81559, 0".
  explicit FakeNvidiaSmi(const std::vector<std::string>& gpus, std::string script_body = "") {
    if (script_body.empty()) {
      script_body =
          "case \"$*\" in\n"
          "  *--query-compute-apps=gpu_uuid,pid*--format=csv,noheader*) cat \"$(dirname \"$0\")/apps.csv\" ;;\n"
          "  *--query-gpu=index,uuid,memory.used,memory.total,utilization.gpu*--format=csv,noheader,nounits*)\n"
          "    cat \"$(dirname \"$0\")/gpus.csv\" ;;\n"
          "  *) echo \"unexpected arguments: $*\" >&2; exit 2 ;;\n"
          "esac\n";
    }
    WriteFile(dir_ / "nvidia-smi", "#!/bin/sh\n" + script_body, /*executable=*/true);
    SetGpus(gpus);
    SetApps({});
  }
  void SetGpus(const std::vector<std::string>& lines) { WriteFile(dir_ / "gpus.csv", Join(lines)); }
  // `apps` lines like "GPU-a, 1234".
  void SetApps(const std::vector<std::string>& lines) { WriteFile(dir_ / "apps.csv", Join(lines)); }
  const std::string& dir() const { return dir_.path(); }
  std::string path_env() const { return dir_.path() + ":/usr/bin:/bin"; }

 private:
  static std::string Join(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }
  TempDir dir_;
};

inline std::vector<std::string> FourGpus() {
  return {"0, GPU-aaaa, 10, 81559, 0", "1, GPU-bbbb, 0, 81559, 0", "2, GPU-cccc, 5, 81559, 3",
          "3, GPU-dddd, 0, 81559, [N/A]"};
}

}  // namespace hone::testing
