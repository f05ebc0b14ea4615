#include "kube/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace secprov::kube {

TokenBucket::TokenBucket(double qps, int burst)
    : qps_(qps), burst_(std::max(1, burst)), tokens_(burst_), last_() {}

TokenBucket::Clock::duration TokenBucket::try_acquire(Clock::time_point now) {
  if (qps_ <= 0) return Clock::duration::zero();  // no limit configured
  const std::lock_guard lock(mutex_);
  // Callers racing on Clock::now() may pass a slightly older time: never refill backwards.
  if (now > last_) {
    const std::chrono::duration<double> elapsed = now - last_;
    tokens_ = std::min(burst_, tokens_ + elapsed.count() * qps_);
    last_ = now;
  }
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return Clock::duration::zero();
  }
  // Round up so a caller never sleeps zero and spins.
  const std::chrono::duration<double> wait((1.0 - tokens_) / qps_);
  return std::max(Clock::duration(1), std::chrono::ceil<Clock::duration>(wait));
}

void TokenBucket::acquire() {
  for (;;) {
    const auto wait = try_acquire(Clock::now());
    if (wait == Clock::duration::zero()) return;
    std::this_thread::sleep_for(wait);  // without the lock: others may refill-check meanwhile
  }
}

}  // namespace secprov::kube
