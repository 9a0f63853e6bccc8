// The web UI benchmark (bench/webui/run): a generator of a large experiment and the
// load driver that measures the API against it.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace hone::bench {

// A finished experiment `id` of `trials` trials with `steps` intermediate results each
// (failed and early-stopped ones a third of that), written in one transaction.
Status GenerateExperiment(const std::string& home, const std::string& id, int64_t trials, int steps);

struct LoadOptions {
  std::string home;
  std::string id;
  int samples = 200;      // sequential requests per endpoint for p50/p99
  int clients = 50;       // concurrent keep-alive clients
  double seconds = 30;    // of concurrent load
  std::string out;        // markdown report
};

// Starts the web server on 127.0.0.1 in this process and measures it; writes the
// markdown table to options.out and prints it.
Status MeasureApi(const LoadOptions& options);

}  // namespace hone::bench
