#include "controllers/conditions.h"

#include "api/constants.h"

namespace secprov::controllers {

void set_abnormal_true(std::vector<api::Condition>& conditions, const api::Condition& condition,
                       api::Timestamp now) {
  if (condition.status == api::ConditionStatus::False) {
    api::remove_condition(conditions, condition.type.str());
  } else {
    api::set_condition(conditions, condition, now);
  }
}

void set_summary(std::vector<api::Condition>& conditions, std::int64_t generation,
                 api::Timestamp now, const Summary& summary) {
  using State = Summary::State;
  const bool stalled = summary.state == State::Stalled;
  api::set_condition(conditions,
                     make_condition(api::kConditionReady, summary.state == State::Ready, generation,
                                    summary.reason, summary.message),
                     now);
  set_abnormal_true(
      conditions,
      make_condition(api::kConditionStalled, stalled, generation, summary.reason, summary.message),
      now);
  set_abnormal_true(
      conditions,
      make_condition(api::kConditionReconciling, summary.reconciling_reason.has_value() && !stalled,
                     generation, summary.reconciling_reason.value_or(std::string{}),
                     summary.reconciling_message),
      now);
}

}  // namespace secprov::controllers
