#pragma once
// The kstatus conditions the reconcilers set. Ready, Stalled and Reconciling are written
// together by set_summary() from one Summary, so they never contradict each other; Stalled and
// Reconciling are there only while True (set_abnormal_true).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/condition.h"

namespace secprov::controllers {

inline api::Timestamp seconds_of(std::chrono::system_clock::time_point t) {
  return std::chrono::time_point_cast<std::chrono::seconds>(t);
}

// A condition for `generation`; set_condition fills lastTransitionTime.
inline api::Condition make_condition(std::string_view type, bool status, std::int64_t generation,
                                     std::string reason, std::string message = {}) {
  return api::Condition{
      std::string(type), status ? api::ConditionStatus::True : api::ConditionStatus::False,
      generation,        {},
      std::move(reason), std::move(message)};
}

// The same with any status (Unknown included).
inline api::Condition make_condition(std::string_view type, api::ConditionStatus status,
                                     std::int64_t generation, std::string reason,
                                     std::string message = {}) {
  return api::Condition{std::string(type), status, generation, {}, std::move(reason),
                        std::move(message)};
}

// Sets an abnormal-true condition (Stalled, Reconciling, Drifted, CAExpiringSoon): present
// only while not False, and removed when False, as Flux does with Stalled and Reconciling and
// cert-manager with Issuing; an absent one reads as False. Every condition costs the API
// server on each status write (its schema, its field set in managedFields): the four False
// ones of a profile that is fine cost about 1.5 ms of its CPU per status write, a fifth of it
// (docs/benchmarks.md, session 28).
void set_abnormal_true(std::vector<api::Condition>& conditions, const api::Condition& condition,
                       api::Timestamp now);

// Where an object stands after a pass.
struct Summary {
  enum class State {
    Ready,     // provisioned as the spec says
    NotReady,  // provisioned, but not as the spec says (e.g. drift left under Report)
    Stalled,   // cannot progress until its inputs change (terminal)
  };
  State state = State::Ready;
  std::string reason;
  std::string message;
  // Work still going on (e.g. issuance rate limited): Reconciling=True with this reason.
  std::optional<std::string> reconciling_reason{};
  std::string reconciling_message{};

  static Summary ready(std::string reason, std::string message) {
    return {State::Ready, std::move(reason), std::move(message)};
  }
  static Summary not_ready(std::string reason, std::string message) {
    return {State::NotReady, std::move(reason), std::move(message)};
  }
  static Summary stalled(std::string reason, std::string message) {
    return {State::Stalled, std::move(reason), std::move(message)};
  }
};

// Sets Ready, Stalled and Reconciling from `summary`.
void set_summary(std::vector<api::Condition>& conditions, std::int64_t generation,
                 api::Timestamp now, const Summary& summary);

}  // namespace secprov::controllers
