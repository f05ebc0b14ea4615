#include "controllers/drift.h"

#include <gtest/gtest.h>

namespace secprov::controllers {
namespace {

const api::Timestamp kNow{std::chrono::seconds(1'800'000'000)};

Observation in_sync() {
  Observation o;
  o.exists = true;
  o.labels_intact = true;
  o.owner_intact = true;
  o.input_digest = "sha256:spec";
  return o;
}

Assessment run(const Observation& observed, const api::GeneratedObject* previous,
               api::DriftPolicy policy, const std::string& desired = "sha256:spec") {
  return assess({"ConfigMap", "amf-security", &observed, previous, desired, policy, kNow});
}

const api::GeneratedObject kProvisioned{"ConfigMap", "amf-security", "sha256:x",
                                        api::ObjectState::InSync};

TEST(Assess, FirstProvisioningWritesWithoutFindings) {
  const auto result = run(Observation{}, nullptr, api::DriftPolicy::Report);
  EXPECT_EQ(result.action, Action::Write);
  EXPECT_TRUE(result.findings.empty());
  EXPECT_FALSE(result.repair);
}

TEST(Assess, InSyncDoesNothing) {
  const auto result = run(in_sync(), &kProvisioned, api::DriftPolicy::Enforce);
  EXPECT_EQ(result.action, Action::None);
  EXPECT_EQ(result.state, api::ObjectState::InSync);
  EXPECT_TRUE(result.findings.empty());
}

TEST(Assess, ASpecChangeIsWrittenEvenUnderReport) {
  const auto result = run(in_sync(), &kProvisioned, api::DriftPolicy::Report, "sha256:new-spec");
  EXPECT_EQ(result.action, Action::Write);
  EXPECT_TRUE(result.findings.empty());
}

TEST(Assess, EnforceRepairsAModifiedKeyAndRecordsIt) {
  auto observed = in_sync();
  observed.drifted_keys["security.yaml"] = KeyDrift::Modified;
  const auto result = run(observed, &kProvisioned, api::DriftPolicy::Enforce);
  EXPECT_EQ(result.action, Action::Write);
  EXPECT_TRUE(result.repair);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].field, "data.security.yaml");
  EXPECT_EQ(result.findings[0].reason, "Modified");
  EXPECT_EQ(result.findings[0].action, api::DriftAction::Repaired);
  EXPECT_EQ(result.findings[0].detected_at, kNow);
}

TEST(Assess, ReportLeavesDriftAndReportsItOnce) {
  auto observed = in_sync();
  observed.drifted_keys["security.yaml"] = KeyDrift::Removed;
  observed.labels_intact = false;
  const auto first = run(observed, &kProvisioned, api::DriftPolicy::Report);
  EXPECT_EQ(first.action, Action::ReportOnly);
  EXPECT_EQ(first.state, api::ObjectState::Drifted);
  ASSERT_EQ(first.findings.size(), 2u);
  EXPECT_EQ(first.findings[0].action, api::DriftAction::Reported);

  const api::GeneratedObject reported{"ConfigMap", "amf-security", "sha256:x",
                                      api::ObjectState::Drifted};
  const auto again = run(observed, &reported, api::DriftPolicy::Report);
  EXPECT_EQ(again.action, Action::ReportOnly);
  EXPECT_TRUE(again.findings.empty()) << "a drift already reported is not reported again";
}

TEST(Assess, ADeletedObjectIsRecreatedOrReportedMissing) {
  const auto enforced = run(Observation{}, &kProvisioned, api::DriftPolicy::Enforce);
  EXPECT_EQ(enforced.action, Action::Write);
  ASSERT_EQ(enforced.findings.size(), 1u);
  EXPECT_EQ(enforced.findings[0].reason, "Deleted");

  const auto reported = run(Observation{}, &kProvisioned, api::DriftPolicy::Report);
  EXPECT_EQ(reported.action, Action::ReportOnly);
  EXPECT_EQ(reported.state, api::ObjectState::Missing);
}

}  // namespace
}  // namespace secprov::controllers
