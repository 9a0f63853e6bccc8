// The cheapest possible trial for the overhead benchmark: read x from HONE_PARAMS,
// print one final report, exit 0. No JSON library and no C++ streams, so process
// start-up stays close to a bare exec and the benchmark measures the experiment loop.
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main() {
  const char* params = std::getenv("HONE_PARAMS");
  double x = 0.0;
  if (params != nullptr) {
    // {"x":0.42}: the value follows the first colon. Crude on purpose; the benchmark
    // writes the search space, so the shape is known.
    const char* colon = std::strchr(params, ':');
    if (colon != nullptr) x = std::strtod(colon + 1, nullptr);
  }
  std::printf("@hone {\"type\":\"final\",\"value\":%.17g}\n", x);
  return 0;
}
