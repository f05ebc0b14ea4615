#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>

namespace secprov::runtime {

// The one time source of the operator (Envoy's TimeSource): every decision that depends on
// elapsed time, and every timed wait, goes through it, so tests substitute a manual clock
// and advance it instead of sleeping.
class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using wall_time_point = std::chrono::system_clock::time_point;

  virtual ~Clock() = default;
  // Monotonic time for durations and expiry.
  virtual time_point now() const = 0;
  // Wall time for timestamps written to the API server.
  virtual wall_time_point wall_now() const = 0;

  // Blocks on `cv` until `ready()` holds, `stop` is requested or now() reaches `deadline`
  // (time_point::max(): no deadline). `lock` holds the mutex that guards what `ready` reads,
  // on entry and on return, and is the one whose holders notify `cv`. Returns ready().
  // The clock owns the timeout, so a manual clock decides when it passes.
  virtual bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                          const std::stop_token& stop, time_point deadline,
                          const std::function<bool()>& ready) const = 0;

  // Sleeps until `deadline` (or for `duration`) unless `stop` is requested first.
  // Returns false when stopped.
  bool sleep_until(const std::stop_token& stop, time_point deadline) const;
  bool sleep_for(const std::stop_token& stop, std::chrono::nanoseconds duration) const;

  // from + d, saturating at time_point::max() (a very long delay waits forever, no overflow).
  static time_point after(time_point from, std::chrono::nanoseconds d);
};

// The real clocks (steady_clock / system_clock). Stateless; shared freely.
std::shared_ptr<const Clock> system_clock();

// RFC 3339 in UTC: "2024-05-01T12:00:00Z" (metav1.Time).
std::string format_time(Clock::wall_time_point t);
// RFC 3339 with microseconds: "2024-05-01T12:00:00.123456Z" (metav1.MicroTime).
std::string format_micro_time(Clock::wall_time_point t);

}  // namespace secprov::runtime
