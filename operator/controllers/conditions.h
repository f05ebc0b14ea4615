#pragma once
// Helpers for the kstatus conditions the reconcilers set.

#include <chrono>
#include <string>

#include "api/condition.h"

namespace secprov::controllers {

inline api::Timestamp seconds_of(std::chrono::system_clock::time_point t) {
  return std::chrono::time_point_cast<std::chrono::seconds>(t);
}

// A condition for `generation`; set_condition fills lastTransitionTime.
inline api::Condition make_condition(std::string type, bool status, std::int64_t generation,
                                     std::string reason, std::string message = {}) {
  return api::Condition{
      std::move(type),   status ? api::ConditionStatus::True : api::ConditionStatus::False,
      generation,        {},
      std::move(reason), std::move(message)};
}

}  // namespace secprov::controllers
