#pragma once

#include <chrono>
#include <mutex>

namespace secprov::kube {

// Client-side request limit (client-go's QPS/Burst): a token bucket refilled at `qps`
// holding at most `burst` tokens. acquire() blocks until a token is available.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  // qps <= 0: no limit. burst is at least 1. The bucket starts full.
  TokenBucket(double qps, int burst);
  void acquire();
  // Non-blocking: how long the caller would have to wait at `now` (zero: took a token).
  Clock::duration try_acquire(Clock::time_point now);

 private:
  std::mutex mutex_;
  double qps_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace secprov::kube
