#include "controllers/issuance_limiter.h"

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <cmath>

namespace secprov::controllers {

IssuanceLimiter::IssuanceLimiter(Options options,
                                 const std::shared_ptr<prometheus::Registry>& registry)
    : options_(options) {
  if (!registry) return;
  issued_ = &prometheus::BuildCounter()
                 .Name("secprov_certificates_issued_total")
                 .Help("NF certificates issued")
                 .Register(*registry)
                 .Add({});
  throttled_ = &prometheus::BuildCounter()
                    .Name("secprov_certificate_issuance_throttled_total")
                    .Help("Issuances refused because a profile exceeded its issuance rate")
                    .Register(*registry)
                    .Add({});
}

std::optional<std::chrono::milliseconds> IssuanceLimiter::try_take(const std::string& profile_uid,
                                                                   Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  const double burst = options_.burst;
  const double per_second = 1.0 / static_cast<double>(options_.interval.count());
  auto [it, inserted] = buckets_.try_emplace(profile_uid, Bucket{burst, now});
  auto& bucket = it->second;
  if (!inserted && now > bucket.updated) {
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(burst, bucket.tokens + elapsed * per_second);
    bucket.updated = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    if (issued_ != nullptr) issued_->Increment();
    return std::nullopt;
  }
  if (throttled_ != nullptr) throttled_->Increment();
  const double wait_seconds = (1.0 - bucket.tokens) / per_second;
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(wait_seconds * 1000.0)));
}

void IssuanceLimiter::forget(const std::string& profile_uid) {
  const std::lock_guard lock(mutex_);
  buckets_.erase(profile_uid);
}

}  // namespace secprov::controllers
