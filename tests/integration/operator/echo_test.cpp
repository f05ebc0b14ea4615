// Issue 12: the watch events of the operator's own writes (its status apply, the Secret and
// ConfigMap it creates) do not wake a profile again, and someone else's edit still does.
// Counted from the operator's own /metrics (passes), not timed.
#include <gtest/gtest.h>

#include <string>

#include "crypto/encoding.h"
#include "operator_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;
namespace resources = kube::resources;

constexpr int kProfiles = 6;

class EchoTest : public OperatorTest {
 protected:
  std::string profile_yaml(const std::string& name) {
    return "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: " + name +
           "\nspec:\n  nfType: AMF\n  selector:\n    matchLabels: {app: " + name +
           "}\n  trustDomainRef:\n    name: " + trust_domain_ +
           "\n  sbi:\n    tls:\n      mode: MutualTLS\n";
  }
  bool domain_ready() {
    const auto domain = client_->get(resources::trust_domains(), "", trust_domain_);
    for (const auto& condition :
         domain.value("status", Json::object()).value("conditions", Json::array())) {
      if (condition["type"] == "Ready") return condition["status"] == "True";
    }
    return false;
  }
  double own_write_skips() {
    return metric(0, "secprov_watch_events_skipped_total",
                  "controller=\"securityprofile\",reason=\"own_write\"");
  }
  double passes() {
    return metric(0, "controller_runtime_reconcile_total", "controller=\"securityprofile\"");
  }
  // The profile controller's queue empty, no reconcile running, and the pass count unchanged
  // since the previous poll: the echoes of the last writes have been handled.
  bool settled(double& last) {
    const double now = passes();
    const bool idle =
        metric(0, "workqueue_depth", "name=\"securityprofile\"") == 0 &&
        metric(0, "controller_runtime_active_workers", "controller=\"securityprofile\"") == 0 &&
        now == last;
    last = now;
    return idle;
  }
};

TEST_F(EchoTest, OwnWritesDoNotWakeAProfileAgainButSomeoneElsesEditDoes) {
  create_trust_domain();
  start_operator("op");
  ASSERT_TRUE(eventually([&] { return domain_ready(); }, std::chrono::seconds(60)))
      << operators_[0]->log();
  double last = -1;
  ASSERT_TRUE(eventually([&] { return settled(last); }));
  const double before = passes();
  const double own_writes_before = own_write_skips();

  for (int i = 0; i < kProfiles; ++i) {
    ASSERT_EQ(apply_yaml(profile_yaml("amf-" + std::to_string(i))), 0);
  }
  for (int i = 0; i < kProfiles; ++i) {
    ASSERT_TRUE(
        eventually([&] { return profile_condition("amf-" + std::to_string(i), "Ready", "True"); },
                   std::chrono::seconds(60)))
        << operators_[0]->log();
  }
  ASSERT_TRUE(eventually([&] { return settled(last); }));
  // One pass a profile is needed (deletionPolicy Delete takes no finalizer): it writes the
  // Secret, the ConfigMap and the status. The echo of the status write never brings another
  // (the predicate, asserted below), nor do the echoes of the Secret and ConfigMap writes,
  // whether their watch event comes before or after the write's answer; a write refused for a
  // stale resourceVersion brings a retry. How many passes that makes is a benchmark figure
  // (scripts/bench.sh prints passes per profile), not asserted here: it depends on timing.
  ::testing::Test::RecordProperty("passes_per_profile",
                                  std::to_string((passes() - before) / kProfiles));
  // The echo of every profile's Secret and ConfigMap create is skipped, whichever came first,
  // its event or the write's answer (more skips when an object was written twice, or a trust
  // bundle was). Polled: an echo's event may still be on its way.
  const auto own_write_skips_per_profile = [&] {
    return (own_write_skips() - own_writes_before) / kProfiles;
  };
  EXPECT_TRUE(eventually([&] { return own_write_skips_per_profile() >= 2.0; }))
      << own_write_skips_per_profile() << " own-write echoes skipped per profile\n"
      << operators_[0]->log();
  ::testing::Test::RecordProperty("own_write_skips_per_profile",
                                  std::to_string(own_write_skips_per_profile()));
  EXPECT_GE(metric(0, "secprov_watch_events_skipped_total",
                   "controller=\"securityprofile\",reason=\"unchanged\""),
            kProfiles);

  // Someone else's edit of a Secret and of a ConfigMap the operator wrote is drift: it wakes
  // the profile, which repairs it.
  const auto edited = crypto::base64_encode("edited by someone else");
  client_->merge_patch(resources::secrets(), namespace_, "amf-0-tls",
                       {{"data", {{"tls.crt", edited}}}});
  client_->merge_patch(resources::config_maps(), namespace_, "amf-1-security",
                       {{"data", {{"security.yaml", "tampered"}}}});
  EXPECT_TRUE(eventually([&] { return secret("amf-0-tls")["data"]["tls.crt"] != edited; }))
      << operators_[0]->log();
  EXPECT_TRUE(eventually([&] {
    return config_map("amf-1-security")["data"]["security.yaml"] != "tampered";
  })) << operators_[0]->log();
}

}  // namespace
}  // namespace secprov::testing
