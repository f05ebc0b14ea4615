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
  const double per_second = 1.0 / static_cast<double>(options_.interval.count());
  if (buckets_.size() >= sweep_at_) {
    std::erase_if(buckets_, [&](const auto& entry) {
      return tokens_at(entry.second, now) >= static_cast<double>(options_.burst);
    });
    sweep_at_ = std::max(kFirstSweep, 2 * buckets_.size());
  }
  auto [it, inserted] =
      buckets_.try_emplace(profile_uid, Bucket{static_cast<double>(options_.burst), now});
  auto& bucket = it->second;
  if (!inserted && now > bucket.updated) {
    bucket.tokens = tokens_at(bucket, now);
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

std::size_t IssuanceLimiter::tracked() const {
  const std::lock_guard lock(mutex_);
  return buckets_.size();
}

double IssuanceLimiter::tokens_at(const Bucket& bucket, Clock::time_point now) const {
  if (now <= bucket.updated) return bucket.tokens;
  const double per_second = 1.0 / static_cast<double>(options_.interval.count());
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  return std::min(static_cast<double>(options_.burst), bucket.tokens + elapsed * per_second);
}

}  // namespace secprov::controllers
