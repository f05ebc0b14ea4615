#include "api/condition.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/constants.h"

namespace secprov::api {
namespace {

using namespace std::chrono;

const Timestamp kT0 = sys_days{2025y / March / 1};
const Timestamp kT1 = kT0 + 1h;
const Timestamp kT2 = kT0 + 2h;

Condition cond(ConditionStatus s, std::string reason, std::int64_t gen = 1, std::string msg = "") {
  return Condition{
      std::string(kConditionReady), s, gen, Timestamp{}, std::move(reason), std::move(msg)};
}

TEST(SetCondition, AddsNewConditionWithNow) {
  std::vector<Condition> cs;
  EXPECT_TRUE(set_condition(cs, cond(ConditionStatus::False, "Provisioning"), kT0));
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].type, "Ready");
  EXPECT_EQ(cs[0].status, ConditionStatus::False);
  EXPECT_EQ(cs[0].last_transition_time, kT0);
}

TEST(SetCondition, KeepsTransitionTimeWhenStatusUnchanged) {
  std::vector<Condition> cs;
  set_condition(cs, cond(ConditionStatus::False, "Provisioning", 1, "a"), kT0);
  EXPECT_TRUE(set_condition(cs, cond(ConditionStatus::False, "WaitingForCA", 2, "b"), kT1));
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].last_transition_time, kT0);
  EXPECT_EQ(cs[0].reason, "WaitingForCA");
  EXPECT_EQ(cs[0].message, "b");
  EXPECT_EQ(cs[0].observed_generation, 2);
}

TEST(SetCondition, UpdatesTransitionTimeWhenStatusFlips) {
  std::vector<Condition> cs;
  set_condition(cs, cond(ConditionStatus::False, "Provisioning"), kT0);
  EXPECT_TRUE(set_condition(cs, cond(ConditionStatus::True, "Provisioned"), kT1));
  EXPECT_EQ(cs[0].status, ConditionStatus::True);
  EXPECT_EQ(cs[0].last_transition_time, kT1);
  EXPECT_TRUE(set_condition(cs, cond(ConditionStatus::Unknown, "Checking"), kT2));
  EXPECT_EQ(cs[0].last_transition_time, kT2);
}

TEST(SetCondition, ReportsNoChangeForIdenticalCondition) {
  std::vector<Condition> cs;
  set_condition(cs, cond(ConditionStatus::True, "Provisioned", 3, "ok"), kT0);
  const auto before = cs;
  EXPECT_FALSE(set_condition(cs, cond(ConditionStatus::True, "Provisioned", 3, "ok"), kT2));
  EXPECT_EQ(cs, before);
}

TEST(SetCondition, IgnoresCallerTransitionTime) {
  std::vector<Condition> cs;
  Condition c = cond(ConditionStatus::True, "Provisioned");
  c.last_transition_time = kT2;
  set_condition(cs, c, kT0);
  EXPECT_EQ(cs[0].last_transition_time, kT0);
}

TEST(SetCondition, KeepsOtherTypesApart) {
  std::vector<Condition> cs;
  set_condition(cs, cond(ConditionStatus::True, "Provisioned"), kT0);
  Condition drifted{std::string(kConditionDrifted), ConditionStatus::False, 1, {}, "NoDrift", ""};
  set_condition(cs, drifted, kT1);
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(find_condition(cs, "Ready")->last_transition_time, kT0);
  EXPECT_EQ(find_condition(cs, "Drifted")->last_transition_time, kT1);
  EXPECT_EQ(find_condition(cs, "Stalled"), nullptr);
}

TEST(FindCondition, IsConditionTrueHonoursGeneration) {
  std::vector<Condition> cs;
  set_condition(cs, cond(ConditionStatus::True, "Provisioned", 4), kT0);
  EXPECT_TRUE(is_condition_true(cs, "Ready"));
  EXPECT_TRUE(is_condition_true(cs, "Ready", 4));
  EXPECT_FALSE(is_condition_true(cs, "Ready", 5));
  EXPECT_FALSE(is_condition_true(cs, "Stalled"));
  set_condition(cs, cond(ConditionStatus::False, "Broken", 4), kT1);
  EXPECT_FALSE(is_condition_true(cs, "Ready"));
}

TEST(RemoveCondition, RemovesOnlyThatType) {
  std::vector<Condition> cs;
  set_condition(cs, cond(ConditionStatus::True, "Provisioned"), kT0);
  Condition rec{"Reconciling", ConditionStatus::True, 1, {}, "Progressing", ""};
  set_condition(cs, rec, kT0);
  EXPECT_TRUE(remove_condition(cs, "Reconciling"));
  EXPECT_FALSE(remove_condition(cs, "Reconciling"));
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].type, "Ready");
}

TEST(ConditionJson, RoundTrips) {
  Condition c{"Ready", ConditionStatus::True, 7, kT1, "Provisioned", "certificate issued"};
  const auto j = to_json(c);
  EXPECT_EQ(j.at("status"), "True");
  EXPECT_EQ(j.at("lastTransitionTime"), "2025-03-01T01:00:00Z");
  EXPECT_EQ(j.at("observedGeneration"), 7);
  auto back = parse_condition(j, "status.conditions[0]");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.value(), c);
}

TEST(ConditionJson, ReportsMissingAndBadFields) {
  auto r = parse_condition(nlohmann::json{{"type", "Ready"}, {"status", "Maybe"}}, "c");
  ASSERT_FALSE(r.ok());
  std::vector<std::string> fields;
  for (const auto& e : r.errors()) fields.push_back(e.field);
  EXPECT_NE(std::find(fields.begin(), fields.end(), "c.status"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "c.lastTransitionTime"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "c.reason"), fields.end());
}

TEST(ConditionSyntax, TypeAndReason) {
  EXPECT_TRUE(is_valid_condition_type("Ready"));
  EXPECT_TRUE(is_valid_condition_type("secprov.io/CertificateIssued"));
  EXPECT_FALSE(is_valid_condition_type(""));
  EXPECT_FALSE(is_valid_condition_type("-Ready"));
  EXPECT_FALSE(is_valid_condition_type("Bad/Ready"));
  EXPECT_TRUE(is_valid_condition_reason("TrustDomainNotFound"));
  EXPECT_TRUE(is_valid_condition_reason("A"));
  EXPECT_TRUE(is_valid_condition_reason("Reason_with:colon,comma1"));
  EXPECT_FALSE(is_valid_condition_reason(""));
  EXPECT_FALSE(is_valid_condition_reason("1Reason"));
  EXPECT_FALSE(is_valid_condition_reason("Trailing:"));
  EXPECT_FALSE(is_valid_condition_reason("has space"));
}

}  // namespace
}  // namespace secprov::api
