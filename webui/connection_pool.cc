#include "webui/connection_pool.h"

#include <algorithm>
#include <chrono>
#include <system_error>

namespace hone::webui {
namespace {

// A thread above the core count that waits this long for a connection exits.
constexpr auto kIdleExit = std::chrono::seconds(30);

}  // namespace

ConnectionPool::ConnectionPool(size_t core, size_t max_threads, std::shared_ptr<std::atomic<size_t>> waiting)
    : core_(std::max<size_t>(1, core)),
      max_threads_(std::max(max_threads, std::max<size_t>(1, core))),
      waiting_(std::move(waiting)) {}

ConnectionPool::~ConnectionPool() { shutdown(); }

void ConnectionPool::enqueue(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  jobs_.push_back(std::move(fn));
  const size_t live = threads_.size() - exited_.size();
  if (jobs_.size() > idle_ && live < max_threads_) {
    try {
      threads_.emplace_back([this] { Work(); });
    } catch (const std::system_error&) {
      // Out of threads (a process limit): the connection waits for a running one.
    }
  }
  CountWaitingLocked();
  cv_.notify_one();
}

void ConnectionPool::shutdown() {
  std::list<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    threads.swap(threads_);
    exited_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads)
    if (t.joinable()) t.join();
}

void ConnectionPool::CountWaitingLocked() {
  // Below the cap every queued connection has a thread starting or waking for it.
  const bool at_cap = threads_.size() - exited_.size() >= max_threads_;
  if (waiting_) waiting_->store(at_cap && jobs_.size() > idle_ ? jobs_.size() - idle_ : 0);
}

void ConnectionPool::ReapLocked() {
  for (auto id : exited_) {
    auto it = std::find_if(threads_.begin(), threads_.end(), [id](const std::thread& t) { return t.get_id() == id; });
    if (it == threads_.end()) continue;
    it->join();  // it has left Work() and holds no lock: this returns at once
    threads_.erase(it);
  }
  exited_.clear();
}

void ConnectionPool::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    ++idle_;
    const bool woke = cv_.wait_for(lock, kIdleExit, [this] { return stop_ || !jobs_.empty(); });
    --idle_;
    if (!woke) {
      if (!stop_ && threads_.size() - exited_.size() > core_) {
        exited_.push_back(std::this_thread::get_id());
        return;
      }
      continue;
    }
    if (jobs_.empty()) return;  // stopping, and every queued connection has been run
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    CountWaitingLocked();
    lock.unlock();
    job();
    lock.lock();
  }
}

}  // namespace hone::webui
