#pragma once

#include <chrono>
#include <memory>
#include <stop_token>
#include <string>

namespace secprov::runtime {

// Time source for the parts of the runtime whose decisions depend on elapsed time
// (leader election expiry, event aggregation). Tests substitute a manual clock.
class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using wall_time_point = std::chrono::system_clock::time_point;

  virtual ~Clock() = default;
  // Monotonic time for durations and expiry.
  virtual time_point now() const = 0;
  // Wall time for timestamps written to the API server.
  virtual wall_time_point wall_now() const = 0;
};

// The real clocks (steady_clock / system_clock). Stateless; shared freely.
std::shared_ptr<const Clock> system_clock();

// RFC 3339 in UTC: "2024-05-01T12:00:00Z" (metav1.Time).
std::string format_time(Clock::wall_time_point t);
// RFC 3339 with microseconds: "2024-05-01T12:00:00.123456Z" (metav1.MicroTime).
std::string format_micro_time(Clock::wall_time_point t);

// Sleeps for `duration` unless `stop` is requested first. Returns false when stopped.
bool sleep_for(const std::stop_token& stop, std::chrono::nanoseconds duration);

}  // namespace secprov::runtime
