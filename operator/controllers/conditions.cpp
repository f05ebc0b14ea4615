#include "controllers/conditions.h"

#include "api/constants.h"

namespace secprov::controllers {

void set_summary(std::vector<api::Condition>& conditions, std::int64_t generation,
                 api::Timestamp now, const Summary& summary) {
  using State = Summary::State;
  const bool stalled = summary.state == State::Stalled;
  api::set_condition(conditions,
                     make_condition(api::kConditionReady, summary.state == State::Ready, generation,
                                    summary.reason, summary.message),
                     now);
  api::set_condition(conditions,
                     make_condition(api::kConditionStalled, stalled, generation, summary.reason,
                                    stalled ? summary.message : std::string{}),
                     now);
  api::set_condition(
      conditions,
      summary.reconciling_reason && !stalled
          ? make_condition(api::kConditionReconciling, true, generation,
                           *summary.reconciling_reason, summary.reconciling_message)
          : make_condition(api::kConditionReconciling, false, generation, summary.reason),
      now);
}

}  // namespace secprov::controllers
