#include "enabler/reload_policy.h"

namespace secprov::enabler {

ReloadGate::Action ReloadGate::on_observed(const std::string& digest, Clock::time_point now) const {
  if (digest == served_ || digest == rejected_) return Action::None;
  if (last_reload_ && now - *last_reload_ < min_interval_) return Action::Wait;
  return Action::Check;
}

void ReloadGate::reloaded(const std::string& digest, Clock::time_point now) {
  served_ = digest;
  rejected_.reset();
  last_reload_ = now;
}

}  // namespace secprov::enabler
