// ConnectionPool: the web server's task queue. Every accepted connection gets a thread
// of its own at once (an idle one, or a new one up to a cap), so slow, idle or streaming
// connections never make a request wait behind them; threads idle for a while exit down
// to a core that stays.
//
// Example:
//   server.new_task_queue = [] { return new ConnectionPool(/*core=*/24, /*max=*/1088); };
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace hone::webui {

class ConnectionPool : public httplib::TaskQueue {
 public:
  // Past max_threads connections wait in a queue; `waiting` (optional) always holds how
  // many do, for readers that may outlive the pool.
  ConnectionPool(size_t core, size_t max_threads, std::shared_ptr<std::atomic<size_t>> waiting = nullptr);
  ~ConnectionPool() override;
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  void enqueue(std::function<void()> fn) override;
  // Runs the queued connections to their end, then joins every thread.
  void shutdown() override;

 private:
  void Work();
  void ReapLocked();  // joins threads that exited for idleness
  void CountWaitingLocked();

  const size_t core_, max_threads_;
  const std::shared_ptr<std::atomic<size_t>> waiting_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::list<std::thread> threads_;
  std::vector<std::thread::id> exited_;
  size_t idle_ = 0;
  bool stop_ = false;
};

}  // namespace hone::webui
