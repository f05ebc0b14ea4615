#pragma once

#include <chrono>
#include <mutex>
#include <unordered_map>

#include "runtime/clock.h"
#include "runtime/object.h"

namespace secprov::runtime {

struct RateLimiterOptions {
  // Per key: base_delay * 2^failures, capped at max_delay (client-go's
  // ItemExponentialFailureRateLimiter 5ms..1000s).
  std::chrono::nanoseconds base_delay{std::chrono::milliseconds(5)};
  std::chrono::nanoseconds max_delay{std::chrono::seconds(1000)};
  // Overall token bucket shared by all keys (client-go's BucketRateLimiter 10 qps / 100).
  // qps <= 0 disables it.
  double qps = 10;
  int burst = 100;
};

// client-go's DefaultControllerRateLimiter: the larger of a per-key exponential backoff
// and an overall token bucket. Time is passed in (the work queue's clock), so it is tested
// without sleeping.
class RateLimiter {
 public:
  explicit RateLimiter(RateLimiterOptions options = {});

  // Records one more failure of `key` and returns how long to wait before retrying it.
  // Each call also reserves a token of the overall bucket (a reservation in the future
  // when the bucket is empty), so a storm of failures is spread out at `qps`.
  std::chrono::nanoseconds when(const ObjectKey& key, Clock::time_point now);
  // Clears the failure count of `key` (after a success).
  void forget(const ObjectKey& key);
  int num_requeues(const ObjectKey& key) const;

  const RateLimiterOptions& options() const noexcept { return options_; }

 private:
  std::chrono::nanoseconds item_delay_locked(const ObjectKey& key);
  std::chrono::nanoseconds bucket_delay_locked(Clock::time_point now);

  const RateLimiterOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<ObjectKey, int, ObjectKeyHash> failures_;
  double tokens_;
  Clock::time_point last_{};
};

}  // namespace secprov::runtime
