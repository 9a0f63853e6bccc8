#include "core/clock.h"

#include <chrono>

namespace hone {

double SystemClock::Now() const {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace hone
