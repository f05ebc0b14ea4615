#include "runtime/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace secprov::runtime {

RateLimiter::RateLimiter(RateLimiterOptions options)
    : options_(options), tokens_(static_cast<double>(std::max(options.burst, 1))) {}

std::chrono::nanoseconds RateLimiter::when(const ObjectKey& key, Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  return std::max(item_delay_locked(key), bucket_delay_locked(now));
}

std::chrono::nanoseconds RateLimiter::item_delay_locked(const ObjectKey& key) {
  const int exponent = failures_[key]++;
  // Computed in double so a large exponent cannot overflow; capped at max_delay.
  const double delay = static_cast<double>(options_.base_delay.count()) * std::pow(2.0, exponent);
  const double cap = static_cast<double>(options_.max_delay.count());
  if (!(delay < cap)) return options_.max_delay;
  return std::chrono::nanoseconds(static_cast<std::chrono::nanoseconds::rep>(delay));
}

std::chrono::nanoseconds RateLimiter::bucket_delay_locked(Clock::time_point now) {
  if (options_.qps <= 0) return std::chrono::nanoseconds::zero();
  const double burst = static_cast<double>(std::max(options_.burst, 1));
  if (last_ == Clock::time_point{}) last_ = now;
  if (now > last_) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst, tokens_ + elapsed * options_.qps);
    last_ = now;
  }
  tokens_ -= 1.0;  // reserve, possibly in the future
  if (tokens_ >= 0) return std::chrono::nanoseconds::zero();
  return std::chrono::nanoseconds(std::llround(-tokens_ * 1e9 / options_.qps));
}

void RateLimiter::forget(const ObjectKey& key) {
  const std::lock_guard lock(mutex_);
  failures_.erase(key);
}

int RateLimiter::num_requeues(const ObjectKey& key) const {
  const std::lock_guard lock(mutex_);
  const auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

}  // namespace secprov::runtime
