// hone_bench_webui generate HOME ID TRIALS STEPS | measure HOME ID OUT [SAMPLES CLIENTS SECONDS]
#include <chrono>
#include <cstdio>
#include <string>

#include "bench/webui/webui_bench.h"

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  hone::Status st;
  if (mode == "generate" && argc == 6) {
    auto start = std::chrono::steady_clock::now();
    st = hone::bench::GenerateExperiment(argv[2], argv[3], std::stoll(argv[4]), std::stoi(argv[5]));
    std::fprintf(stderr, "generated in %.1f s\n",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  } else if (mode == "measure" && argc >= 5) {
    hone::bench::LoadOptions o;
    o.home = argv[2];
    o.id = argv[3];
    o.out = argv[4];
    if (argc > 5) o.samples = std::stoi(argv[5]);
    if (argc > 6) o.clients = std::stoi(argv[6]);
    if (argc > 7) o.seconds = std::stod(argv[7]);
    st = hone::bench::MeasureApi(o);
  } else {
    std::fprintf(stderr, "usage: %s generate HOME ID TRIALS STEPS | measure HOME ID OUT [SAMPLES CLIENTS SECONDS]\n", argv[0]);
    return 2;
  }
  if (!st.ok()) {
    std::fprintf(stderr, "error: %s\n", st.message().c_str());
    return 1;
  }
  return 0;
}
