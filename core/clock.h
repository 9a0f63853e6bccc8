// Clock: where the engine and the platforms read time. Injected everywhere so that tests
// drive time by hand and a simulating platform (replay) can supply its own.
//
// Contract: Now() is seconds since the unix epoch, non-decreasing for one clock, and
// cheap enough to call every loop turn. Implementations are used from one thread.
#pragma once

namespace hone {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual double Now() const = 0;  // seconds (unix time)
};

// The wall clock.
class SystemClock : public Clock {
 public:
  double Now() const override;
};

}  // namespace hone
