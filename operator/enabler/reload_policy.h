#pragma once
// When the agent checks and loads a new set of files: only when its digest differs from what
// HAProxy serves, at most once per min_interval, and a set that failed its checks only once
// (it is logged once, not every poll, until the files change again).

#include <chrono>
#include <optional>
#include <string>

namespace secprov::enabler {

class ReloadGate {
 public:
  using Clock = std::chrono::steady_clock;

  enum class Action {
    None,   // nothing new, or a set already rejected
    Wait,   // new, but the last reload is less than min_interval ago
    Check,  // new: validate it, then reload
  };

  ReloadGate(std::string served_digest, Clock::duration min_interval)
      : served_(std::move(served_digest)), min_interval_(min_interval) {}

  Action on_observed(const std::string& digest, Clock::time_point now) const;
  // HAProxy now serves `digest`.
  void reloaded(const std::string& digest, Clock::time_point now);
  // A reload was tried but did not take (counts for the rate limit; retried afterwards).
  void reload_failed(Clock::time_point now) { last_reload_ = now; }
  // `digest` failed validation: not checked again until the files change.
  void rejected(const std::string& digest) { rejected_ = digest; }

  const std::string& served() const noexcept { return served_; }

 private:
  std::string served_;
  std::optional<std::string> rejected_;
  std::optional<Clock::time_point> last_reload_;
  Clock::duration min_interval_;
};

}  // namespace secprov::enabler
