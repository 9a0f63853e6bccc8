// Settings the one-shot search tests share: a search small enough for a unit test (two
// epochs of batches of 32, a few candidates and validation batches, no skip guard).
#pragma once

#include "nas/oneshot/oneshot_search.h"

namespace hone::nas::testing {

inline OneShotOptions SmallSearchOptions(OneShotStrategy strategy) {
  OneShotOptions o;
  o.strategy = strategy;
  o.epochs = 2;
  o.batch_size = 32;
  o.candidates = 6;
  o.valid_batches = 2;
  o.max_skip = -1;
  o.seed = 4;
  return o;
}

}  // namespace hone::nas::testing
