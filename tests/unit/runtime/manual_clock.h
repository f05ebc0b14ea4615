#pragma once
// A runtime::Clock that moves only when a test advances it; timed waits on it block until
// advance() passes their deadline (or their condition holds, or stop is requested).

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <vector>

#include "runtime/clock.h"

namespace secprov::runtime::testing {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(wall_time_point wall = wall_time_point{std::chrono::sys_days{
                           std::chrono::year{2024} / 5 / 1}})
      : wall_(wall) {}

  time_point now() const override {
    const std::lock_guard lock(time_mutex_);
    return now_;
  }
  wall_time_point wall_now() const override {
    const std::lock_guard lock(time_mutex_);
    return wall_;
  }

  // Moves both clocks forward and wakes every timed wait so it re-checks its deadline.
  void advance(std::chrono::nanoseconds d) {
    const std::lock_guard registry(waiters_mutex_);
    {
      const std::lock_guard lock(time_mutex_);
      now_ += std::chrono::duration_cast<time_point::duration>(d);
      wall_ += std::chrono::duration_cast<wall_time_point::duration>(d);
    }
    // Taking each waiter's mutex first means it is either before its check (and sees the new
    // time) or blocked on its cv (and gets this notification): no lost wake-up.
    for (const Waiter* waiter : waiters_) {
      const std::lock_guard lock(*waiter->mutex);
      waiter->cv->notify_all();
    }
  }

  // Threads blocked in any wait on this clock (timed or not).
  std::size_t blocked() const {
    const std::lock_guard registry(waiters_mutex_);
    return waiters_.size();
  }
  // Threads blocked in a timed wait (with a deadline) on this clock.
  std::size_t sleepers() const {
    const std::lock_guard registry(waiters_mutex_);
    return static_cast<std::size_t>(
        std::count_if(waiters_.begin(), waiters_.end(),
                      [](const auto* w) { return w->deadline != time_point::max(); }));
  }
  // The earliest deadline of a timed wait, if any: how far a test must advance to wake it.
  std::optional<time_point> next_deadline() const {
    const std::lock_guard registry(waiters_mutex_);
    std::optional<time_point> earliest;
    for (const Waiter* w : waiters_) {
      if (w->deadline == time_point::max()) continue;
      if (!earliest || w->deadline < *earliest) earliest = w->deadline;
    }
    return earliest;
  }

  bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                  const std::stop_token& stop, time_point deadline,
                  const std::function<bool()>& ready) const override {
    Waiter waiter{lock.mutex(), &cv, deadline};
    // Registration takes waiters_mutex_, which advance() holds while taking waiter mutexes:
    // never take it with the caller's mutex held.
    lock.unlock();
    {
      const std::lock_guard registry(waiters_mutex_);
      waiters_.push_back(&waiter);
    }
    lock.lock();
    cv.wait(lock, stop, [&] { return ready() || now() >= deadline; });
    lock.unlock();
    {
      const std::lock_guard registry(waiters_mutex_);
      std::erase(waiters_, &waiter);
    }
    lock.lock();
    return ready();
  }

 private:
  struct Waiter {
    std::mutex* mutex;
    std::condition_variable_any* cv;
    time_point deadline;
  };

  mutable std::mutex waiters_mutex_;  // taken before any waiter's mutex, never after
  mutable std::vector<const Waiter*> waiters_;
  mutable std::mutex time_mutex_;  // a leaf: nothing is locked while holding it
  time_point now_{std::chrono::hours(1000)};
  wall_time_point wall_;
};

}  // namespace secprov::runtime::testing
