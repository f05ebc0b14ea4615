// Issue 9, "the operator watches the selected Pods (only those, by label selector)", against the
// real control plane: a Pod that no Sidecar profile selects never enters the operator's Pod
// cache (secprov_cache_objects{cache="pods"} on its probe port), a selected one does, and a
// profile switched to Native stops its watch (the cache is empty again).
#include <gtest/gtest.h>

#include <string>

#include "operator_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;

std::string profile_yaml(const std::string& domain, const std::string& mode) {
  return "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: amf\n"
         "spec:\n  nfType: AMF\n  selector:\n    matchLabels:\n      app: amf\n"
         "  trustDomainRef:\n    name: " +
         domain +
         "\n  sbi:\n    tls:\n      mode: MutualTLS\n"
         "  enabler:\n    mode: " +
         mode + "\n    inbound:\n      port: 8080\n      tlsPort: 8443\n";
}

std::string pod_yaml(const std::string& name, const std::string& app) {
  return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  labels:\n    app: " + app +
         "\nspec:\n  containers:\n  - name: nf\n    image: registry.invalid/nf:1\n";
}

class PodWatchTest : public OperatorTest {
 protected:
  double cached_pods(std::size_t index) const {
    return metric(index, "secprov_cache_objects", "cache=\"pods\"");
  }
  Json pods_status() {
    return profile("amf").value("status", Json::object()).value("pods", Json());
  }
};

TEST_F(PodWatchTest, OnlyPodsSelectedBySidecarProfilesAreCached) {
  const auto domain = create_trust_domain();
  std::string output;
  // Pods from before the operator and its profile: one the profile will select, one it won't.
  ASSERT_EQ(apply_yaml(pod_yaml("selected", "amf"), &output), 0) << output;
  ASSERT_EQ(apply_yaml(pod_yaml("unselected", "smf"), &output), 0) << output;
  const auto op = start_operator("pod-watch", {"--watch-namespaces=" + namespace_});
  // Ready: its caches have synced. No Sidecar profile: no Pod is cached.
  EXPECT_EQ(cached_pods(op), 0) << operators_[op]->log();

  ASSERT_EQ(apply_yaml(profile_yaml(domain, "Sidecar"), &output), 0) << output;
  Json pods;
  ASSERT_TRUE(eventually(
      [&] {
        pods = pods_status();
        return pods.is_object() && pods.value("selected", -1) == 1;
      },
      std::chrono::seconds(60)))
      << pods.dump() << "\n"
      << operators_[op]->log();
  // status.pods comes from the synced watch: what it holds is final.
  EXPECT_EQ(cached_pods(op), 1) << operators_[op]->log();
  EXPECT_EQ(pods["withoutEnablerPods"], Json::array({"selected"}));

  // Pods created while the watch runs: only the selected one enters.
  ASSERT_EQ(apply_yaml(pod_yaml("late-unselected", "upf"), &output), 0) << output;
  ASSERT_EQ(apply_yaml(pod_yaml("late-selected", "amf"), &output), 0) << output;
  ASSERT_TRUE(eventually(
      [&] {
        pods = pods_status();
        return pods.is_object() && pods.value("selected", -1) == 2;
      },
      std::chrono::seconds(60)))
      << pods.dump() << "\n"
      << operators_[op]->log();
  EXPECT_EQ(cached_pods(op), 2) << operators_[op]->log();
  // A selected Pod relabelled away leaves the cache (the watch reports it deleted, with its new
  // labels) and status.pods (its last cached labels still reach the profile).
  ASSERT_EQ(kubectl("label pod late-selected app=nrf --overwrite -n " + namespace_, &output), 0)
      << output;
  ASSERT_TRUE(eventually(
      [&] {
        pods = pods_status();
        return pods.is_object() && pods.value("selected", -1) == 1;
      },
      std::chrono::seconds(60)))
      << pods.dump() << "\n"
      << operators_[op]->log();
  EXPECT_EQ(cached_pods(op), 1) << operators_[op]->log();

  // Switched to Native: its watch stops and its Pods leave the cache.
  ASSERT_EQ(kubectl("patch securityprofile amf -n " + namespace_ +
                        " --type merge -p '{\"spec\":{\"enabler\":{\"mode\":\"Native\"}}}'",
                    &output),
            0)
      << output;
  ASSERT_TRUE(eventually([&] { return cached_pods(op) == 0; }, std::chrono::seconds(60)))
      << operators_[op]->log();
  EXPECT_NE(operators_[op]->log().find("pod watch stopped"), std::string::npos);
  ASSERT_TRUE(eventually([&] { return !pods_status().is_object(); }, std::chrono::seconds(60)))
      << profile("amf").dump();
}

}  // namespace
}  // namespace secprov::testing
