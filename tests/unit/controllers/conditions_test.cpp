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

bool has(const std::vector<api::Condition>& conditions, std::string_view type) {
  return api::find_condition(conditions, type) != nullptr;
}

TEST(SetSummary, ReadyClearsStalledAndReconciling) {
  std::vector<api::Condition> conditions;
  set_summary(conditions, 1, kNow, Summary::stalled("TrustDomainNotFound", "td"));
  ASSERT_TRUE(has(conditions, api::kConditionStalled));
  set_summary(conditions, 3, kNow, Summary::ready("Provisioned", "all in sync"));
  EXPECT_EQ(get(conditions, api::kConditionReady).status, api::ConditionStatus::True);
  EXPECT_EQ(get(conditions, api::kConditionReady).message, "all in sync");
  // Abnormal-true: absent when False.
  EXPECT_FALSE(has(conditions, api::kConditionStalled));
  EXPECT_FALSE(has(conditions, api::kConditionReconciling));
  EXPECT_EQ(conditions.size(), 1u);
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
  EXPECT_FALSE(has(conditions, api::kConditionReconciling));
}

TEST(SetSummary, NotReadyWithWorkGoingOn) {
  std::vector<api::Condition> conditions;
  set_summary(conditions, 1, kNow, Summary::stalled("TrustDomainNotFound", "td"));
  auto summary = Summary::not_ready("Drifted", "policy Report");
  summary.reconciling_reason = "IssuanceThrottled";
  set_summary(conditions, 2, kNow, summary);
  EXPECT_EQ(get(conditions, api::kConditionReady).status, api::ConditionStatus::False);
  EXPECT_FALSE(has(conditions, api::kConditionStalled));
  EXPECT_EQ(get(conditions, api::kConditionReconciling).status, api::ConditionStatus::True);
  EXPECT_EQ(get(conditions, api::kConditionReconciling).reason, "IssuanceThrottled");
  EXPECT_EQ(conditions.size(), 2u);  // replaced, not appended
}

TEST(SetAbnormalTrue, TrueSetsFalseRemovesUnknownSets) {
  std::vector<api::Condition> conditions;
  set_abnormal_true(conditions, make_condition(api::kConditionDrifted, true, 1, "DriftReported"),
                    kNow);
  EXPECT_EQ(get(conditions, api::kConditionDrifted).status, api::ConditionStatus::True);
  set_abnormal_true(conditions, make_condition(api::kConditionDrifted, false, 1, "InSync"), kNow);
  EXPECT_FALSE(has(conditions, api::kConditionDrifted));
  set_abnormal_true(conditions, make_condition(api::kConditionDrifted, false, 1, "InSync"), kNow);
  EXPECT_TRUE(conditions.empty());
  set_abnormal_true(conditions,
                    make_condition(api::kConditionDrifted, api::ConditionStatus::Unknown, 1, "X"),
                    kNow);
  EXPECT_EQ(get(conditions, api::kConditionDrifted).status, api::ConditionStatus::Unknown);
}

}  // namespace
}  // namespace secprov::controllers
