#include "controllers/conditions.h"

#include <gtest/gtest.h>

#include "api/constants.h"

namespace secprov::controllers {
namespace {

const api::Timestamp kNow =
    seconds_of(std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 50));

const api::Condition& get(const std::vector<api::Condition>& conditions, std::string_view type) {
  const auto* c = api::find_condition(conditions, type);
  if (c == nullptr) throw std::runtime_error("no condition " + std::string(type));
  return *c;
}

TEST(SetSummary, ReadyClearsStalledAndReconciling) {
  std::vector<api::Condition> conditions;
  set_summary(conditions, 3, kNow, Summary::ready("Provisioned", "all in sync"));
  EXPECT_EQ(get(conditions, api::kConditionReady).status, api::ConditionStatus::True);
  EXPECT_EQ(get(conditions, api::kConditionReady).message, "all in sync");
  EXPECT_EQ(get(conditions, api::kConditionStalled).status, api::ConditionStatus::False);
  EXPECT_EQ(get(conditions, api::kConditionReconciling).status, api::ConditionStatus::False);
  for (const auto& c : conditions) EXPECT_EQ(c.observed_generation, 3);
}

TEST(SetSummary, StalledIsNeverReadyNorReconciling) {
  std::vector<api::Condition> conditions;
  auto summary = Summary::stalled("InvalidSpec", "spec.ipsec.interfaces[0]: bad");
  summary.reconciling_reason = "IssuanceThrottled";  // ignored: a stalled object waits
  set_summary(conditions, 1, kNow, summary);
  EXPECT_EQ(get(conditions, api::kConditionReady).status, api::ConditionStatus::False);
  EXPECT_EQ(get(conditions, api::kConditionReady).reason, "InvalidSpec");
  EXPECT_EQ(get(conditions, api::kConditionStalled).status, api::ConditionStatus::True);
  EXPECT_EQ(get(conditions, api::kConditionStalled).message, "spec.ipsec.interfaces[0]: bad");
  EXPECT_EQ(get(conditions, api::kConditionReconciling).status, api::ConditionStatus::False);
}

TEST(SetSummary, NotReadyWithWorkGoingOn) {
  std::vector<api::Condition> conditions;
  set_summary(conditions, 1, kNow, Summary::stalled("TrustDomainNotFound", "td"));
  auto summary = Summary::not_ready("Drifted", "policy Report");
  summary.reconciling_reason = "IssuanceThrottled";
  set_summary(conditions, 2, kNow, summary);
  EXPECT_EQ(get(conditions, api::kConditionReady).status, api::ConditionStatus::False);
  EXPECT_EQ(get(conditions, api::kConditionStalled).status, api::ConditionStatus::False);
  EXPECT_EQ(get(conditions, api::kConditionStalled).message, "");
  EXPECT_EQ(get(conditions, api::kConditionReconciling).status, api::ConditionStatus::True);
  EXPECT_EQ(get(conditions, api::kConditionReconciling).reason, "IssuanceThrottled");
  EXPECT_EQ(conditions.size(), 3u);  // replaced, not appended
}

}  // namespace
}  // namespace secprov::controllers
