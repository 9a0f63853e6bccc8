// The training-image indices hone calibrates on, printed one per line: the same seeded
// shuffle as SeededBatchIndices (compress/train/image_batches.cc), so that PyTorch's side of
// bench/compress_quant calibrates on the same images as hone. Built by `run` with the
// system compiler (the shuffle is libstdc++'s, as in hone's build).
//
//   calib_indices N COUNT SEED   # N training images, the first COUNT of the shuffled order
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: calib_indices N COUNT SEED\n");
    return 2;
  }
  const int64_t n = std::atoll(argv[1]), count = std::atoll(argv[2]);
  const uint64_t seed = std::strtoull(argv[3], nullptr, 10);
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  for (int64_t i = 0; i < count; ++i) std::printf("%lld\n", static_cast<long long>(order[static_cast<size_t>(i % n)]));
  return 0;
}
