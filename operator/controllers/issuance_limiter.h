#pragma once
// The last line of defence against an issuance loop, whatever its cause: at most `burst`
// certificates per profile at once, then one per `interval`. Counted in
// secprov_certificates_issued_total and secprov_certificate_issuance_throttled_total.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace prometheus {
class Counter;
class Registry;
}  // namespace prometheus

namespace secprov::controllers {

class IssuanceLimiter {
 public:
  using Clock = std::chrono::system_clock;
  struct Options {
    int burst = 3;
    std::chrono::seconds interval{20};  // 3 per minute sustained
  };
  IssuanceLimiter(Options options, const std::shared_ptr<prometheus::Registry>& registry);

  // Takes one issuance for the profile (by UID). nullopt: granted. Otherwise the wait until
  // the next one would be granted; nothing is taken.
  std::optional<std::chrono::milliseconds> try_take(const std::string& profile_uid,
                                                    Clock::time_point now);
  // The profile is gone: drop its history.
  void forget(const std::string& profile_uid);
  // Profiles with a history: a bucket that has filled up again says no more than none, so
  // those are dropped whenever the count has doubled since the last sweep.
  std::size_t tracked() const;

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  static constexpr std::size_t kFirstSweep = 64;
  // The bucket's tokens at `now` (it refills at one per interval, up to the burst).
  double tokens_at(const Bucket& bucket, Clock::time_point now) const;

  const Options options_;
  mutable std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
  std::size_t sweep_at_ = kFirstSweep;
  prometheus::Counter* issued_ = nullptr;
  prometheus::Counter* throttled_ = nullptr;
};

}  // namespace secprov::controllers
