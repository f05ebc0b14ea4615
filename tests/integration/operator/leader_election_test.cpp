// Two operator processes with leader election against the real control plane.
#include <gtest/gtest.h>
#include <signal.h>

#include "operator_fixture.h"

namespace secprov::testing {
namespace {

using Clock = std::chrono::steady_clock;

class LeaderElectionTest : public OperatorTest {
 protected:
  std::string holder() {
    try {
      return client_->get(kube::resources::leases(), namespace_, "secprov-operator")["spec"].value(
          "holderIdentity", std::string{});
    } catch (const kube::ApiError&) {
      return {};
    }
  }
  // Short lease timings keep the test quick; the defaults (15/10/2 s) are unit tested.
  std::vector<std::string> election_flags() {
    return {
        "--leader-elect", "--lease-duration", "6", "--renew-deadline", "4", "--retry-period", "1"};
  }
  std::string profile_yaml(const std::string& name) {
    return "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: " + name +
           "\nspec:\n  nfType: AMF\n  selector:\n    matchLabels: {app: nf}\n  trustDomainRef:\n   "
           " name: " +
           trust_domain_ + "\n";
  }
};

TEST_F(LeaderElectionTest, OnlyTheLeaderReconcilesAndKillNineHandsOverWithinTheLease) {
  create_trust_domain();
  const auto a = start_operator("op-a", election_flags());
  ASSERT_TRUE(eventually([&] { return holder() == "op-a"; })) << operators_[a]->log();
  const auto b = start_operator("op-b", election_flags());

  ASSERT_EQ(apply_yaml(profile_yaml("amf")), 0);
  ASSERT_TRUE(eventually([&] { return profile_condition("amf", "Ready", "True"); },
                         std::chrono::seconds(60)))
      << operators_[a]->log();
  EXPECT_GT(metric(a, "controller_runtime_reconcile_total", "controller=\"securityprofile\""), 0);
  EXPECT_EQ(metric(b, "controller_runtime_reconcile_total"), 0) << "the standby reconciled";
  EXPECT_EQ(metric(a, "leader_election_master_status"), 1);
  EXPECT_EQ(metric(b, "leader_election_master_status"), 0);

  operators_[a]->signal(SIGKILL);
  const auto killed_at = Clock::now();
  ASSERT_TRUE(eventually([&] { return holder() == "op-b"; }, std::chrono::seconds(20)));
  const auto handover = Clock::now() - killed_at;
  // The lease (6 s) must run out first; one retry period (1 s) of slack on top.
  EXPECT_LT(handover, std::chrono::seconds(8)) << "handover took too long";
  ASSERT_EQ(apply_yaml(profile_yaml("smf")), 0);
  EXPECT_TRUE(eventually([&] { return profile_condition("smf", "Ready", "True"); },
                         std::chrono::seconds(60)))
      << operators_[b]->log();
  EXPECT_GT(metric(b, "controller_runtime_reconcile_total"), 0);
}

TEST_F(LeaderElectionTest, SigtermReleasesTheLeaseSoTheStandbyTakesOverAtOnce) {
  const auto a = start_operator("op-a", election_flags());
  ASSERT_TRUE(eventually([&] { return holder() == "op-a"; })) << operators_[a]->log();
  start_operator("op-b", election_flags());

  operators_[a]->signal(SIGTERM);
  const auto stopped_at = Clock::now();
  EXPECT_EQ(operators_[a]->wait_for(std::chrono::seconds(15)), 0) << operators_[a]->log();
  ASSERT_TRUE(eventually([&] { return holder() == "op-b"; }, std::chrono::seconds(20)));
  // Released, not expired: faster than the 6 s lease.
  EXPECT_LT(Clock::now() - stopped_at, std::chrono::seconds(5));
}

}  // namespace
}  // namespace secprov::testing
