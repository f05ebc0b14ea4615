#include "runtime/clock.h"

#include <array>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace secprov::runtime {
namespace {

class RealClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  wall_time_point wall_now() const override { return std::chrono::system_clock::now(); }

  bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                  const std::stop_token& stop, time_point deadline,
                  const std::function<bool()>& ready) const override {
    // The stop callback notifies cv, so a stop request ends the wait early.
    if (deadline == time_point::max()) return cv.wait(lock, stop, ready);
    return cv.wait_until(lock, stop, deadline, ready);
  }
};

std::string format(Clock::wall_time_point t, bool micro) {
  const auto since_epoch = t.time_since_epoch();
  const auto secs = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - secs);
  const std::time_t tt = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::array<char, 40> buf{};
  const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf.data(), n);
  if (micro) {
    std::array<char, 32> frac{};
    std::snprintf(frac.data(), frac.size(), ".%06lld", static_cast<long long>(micros.count()));
    out += frac.data();
  }
  out += 'Z';
  return out;
}

}  // namespace

std::shared_ptr<const Clock> system_clock() {
  // Immutable and stateless: safe to share.
  static const auto clock = std::make_shared<const RealClock>();
  return clock;
}

std::string format_time(Clock::wall_time_point t) {
  return format(t, false);
}
std::string format_micro_time(Clock::wall_time_point t) {
  return format(t, true);
}

bool Clock::sleep_until(const std::stop_token& stop, time_point deadline) const {
  if (stop.stop_requested()) return false;
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  wait_until(lock, cv, stop, deadline, [] { return false; });
  return !stop.stop_requested();
}

bool Clock::sleep_for(const std::stop_token& stop, std::chrono::nanoseconds duration) const {
  if (stop.stop_requested()) return false;
  if (duration <= std::chrono::nanoseconds::zero()) return true;
  return sleep_until(stop, after(now(), duration));
}

Clock::time_point Clock::after(time_point from, std::chrono::nanoseconds d) {
  using Duration = time_point::duration;
  if (d <= std::chrono::nanoseconds::zero()) return from;
  const auto headroom = time_point::max() - from;
  const auto step = std::chrono::duration_cast<Duration>(d);
  return step >= headroom ? time_point::max() : from + step;
}

}  // namespace secprov::runtime
