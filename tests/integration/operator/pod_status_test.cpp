// Issue 9, "Pods in status, and rollout", against the real control plane: Pods created with
// kubectl in a namespace without the injection label (no webhook runs) are reported in
// status.pods of the Sidecar profile selecting them; a Pod without the enabler sets Drifted;
// with rollout: Restart a changed enabler port writes the new configuration digest into the
// owning Deployment's pod template, once.
#include <gtest/gtest.h>

#include <string>

#include "api/securityprofile.h"
#include "operator_fixture.h"
#include "render/enabler.h"

namespace secprov::testing {
namespace {

using kube::Json;

const kube::ResourceType kDeployments{"apps", "v1", "deployments", "Deployment", true};

std::string profile_yaml(const std::string& domain, const std::string& rollout, int tls_port) {
  return "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: amf\n"
         "spec:\n  nfType: AMF\n  selector:\n    matchLabels:\n      app: amf\n"
         "  trustDomainRef:\n    name: " +
         domain +
         "\n  sbi:\n    tls:\n      mode: MutualTLS\n"
         "  enabler:\n    mode: Sidecar\n    rollout: " +
         rollout + "\n    inbound:\n      port: 8080\n      tlsPort: " + std::to_string(tls_port) +
         "\n";
}

// A Pod's (or a pod template's) metadata and spec, `indent` deep: label app=amf; with a
// digest the annotations the webhook writes; with `enabler` the enabler container.
std::string pod_body(const std::string& indent, const std::string& name, const std::string& digest,
                     bool enabler) {
  std::string out = indent + "metadata:\n";
  if (!name.empty()) out += indent + "  name: " + name + "\n";
  out += indent + "  labels:\n" + indent + "    app: amf\n";
  if (!digest.empty()) {
    out += indent + "  annotations:\n" + indent + "    secprov.io/profile: amf\n" + indent +
           "    secprov.io/enabler-digest: \"" + digest + "\"\n";
  }
  out += indent + "spec:\n" + indent + "  containers:\n" + indent + "  - name: amf\n" + indent +
         "    image: registry.invalid/amf:1\n";
  if (enabler) {
    out +=
        indent + "  - name: secprov-enabler\n" + indent + "    image: registry.invalid/enabler:1\n";
  }
  return out;
}

class PodStatusTest : public OperatorTest {
 protected:
  // The configuration digest of the stored profile, as the webhook would annotate it.
  std::string current_digest() {
    const auto parsed = api::parse_security_profile(profile("amf"));
    if (!parsed.ok()) return {};
    return render::enabler_config_digest(parsed.value());
  }
  Json pods_status() {
    return profile("amf").value("status", Json::object()).value("pods", Json());
  }
};

TEST_F(PodStatusTest, PodCreatedBeforeItsProfileIsListedWithoutEnablerAndDrifted) {
  const auto domain = create_trust_domain();
  std::string output;
  // A Pod from before the profile (no injection label on the namespace: no webhook).
  ASSERT_EQ(apply_yaml("apiVersion: v1\nkind: Pod\n" + pod_body("", "early", "", false), &output),
            0)
      << output;
  start_operator("pods");
  ASSERT_EQ(apply_yaml(profile_yaml(domain, "None", 8443), &output), 0) << output;
  ASSERT_TRUE(eventually([&] { return profile_condition("amf", "Ready", "True"); },
                         std::chrono::seconds(60)))
      << operators_[0]->log();
  // A Pod carrying what the webhook injects: the profile, the current digest, the container.
  const auto digest = current_digest();
  ASSERT_FALSE(digest.empty());
  ASSERT_EQ(
      apply_yaml("apiVersion: v1\nkind: Pod\n" + pod_body("", "injected", digest, true), &output),
      0)
      << output;

  Json pods;
  ASSERT_TRUE(eventually(
      [&] {
        pods = pods_status();
        return pods.is_object() && pods.value("selected", 0) == 2 && pods.value("injected", 0) == 1;
      },
      std::chrono::seconds(60)))
      << pods.dump() << "\n"
      << operators_[0]->log();
  EXPECT_EQ(pods["withoutEnabler"], 1);
  EXPECT_EQ(pods["staleDigest"], 0);
  EXPECT_EQ(pods["withoutEnablerPods"], Json::array({"early"}));
  EXPECT_FALSE(pods.contains("staleDigestPods"));
  EXPECT_TRUE(profile_condition("amf", "Drifted", "True"));
  for (const auto& c : profile("amf")["status"]["conditions"]) {
    if (c["type"] == "Drifted") {
      EXPECT_EQ(c["reason"], "PodsWithoutEnabler");
      EXPECT_NE(c["message"].get<std::string>().find("1 of 2 selected Pods"), std::string::npos)
          << c.dump();
    }
  }

  // The Pod gone: nothing runs without the enabler, Drifted is gone again (False).
  ASSERT_EQ(kubectl("delete pod early -n " + namespace_ + " --wait=true", &output), 0) << output;
  ASSERT_TRUE(eventually(
      [&] {
        pods = pods_status();
        return pods.is_object() && pods.value("selected", 0) == 1 &&
               profile_without_condition("amf", "Drifted");
      },
      std::chrono::seconds(60)))
      << pods.dump();
}

TEST_F(PodStatusTest, RestartRolloutWritesTheNewDigestIntoTheDeploymentOnce) {
  const auto domain = create_trust_domain();
  std::string output;
  start_operator("rollout");
  ASSERT_EQ(apply_yaml(profile_yaml(domain, "Restart", 8443), &output), 0) << output;
  ASSERT_TRUE(eventually([&] { return profile_condition("amf", "Ready", "True"); },
                         std::chrono::seconds(60)))
      << operators_[0]->log();
  const auto first = current_digest();
  ASSERT_FALSE(first.empty());
  // Its Pods as the webhook would have left them (Recreate: an unscheduled old Pod is removed
  // at once, so the rollout completes without a kubelet).
  const std::string deployment_head =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: amf\n"
      "spec:\n  replicas: 1\n  strategy:\n    type: Recreate\n  selector:\n    matchLabels:\n"
      "      app: amf\n  template:\n";
  ASSERT_EQ(apply_yaml(deployment_head + pod_body("    ", "", first, true), &output), 0) << output;
  Json pods;
  ASSERT_TRUE(eventually(
      [&] {
        pods = pods_status();
        return pods.is_object() && pods.value("injected", 0) == 1 && pods.value("selected", 0) == 1;
      },
      std::chrono::seconds(60)))
      << pods.dump() << "\n"
      << operators_[0]->log();
  EXPECT_EQ(pods["staleDigest"], 0);
  EXPECT_EQ(client_->get(kDeployments, namespace_, "amf")["metadata"]["generation"], 1);

  // A changed TLS port: a configuration the running enabler cannot take up live.
  ASSERT_EQ(
      kubectl("patch securityprofile amf -n " + namespace_ +
                  " --type merge -p '{\"spec\":{\"enabler\":{\"inbound\":{\"tlsPort\":9443}}}}'",
              &output),
      0)
      << output;
  const auto second = current_digest();
  ASSERT_NE(second, first);
  const auto template_digest = [&] {
    return client_
        ->get(kDeployments, namespace_, "amf")["spec"]["template"]["metadata"]["annotations"]
        .value("secprov.io/enabler-digest", std::string{});
  };
  ASSERT_TRUE(eventually([&] { return template_digest() == second; }, std::chrono::seconds(60)))
      << template_digest() << "\n"
      << operators_[0]->log();
  // The new Pod (from the new template) carries the new digest; the old one is gone.
  ASSERT_TRUE(eventually(
      [&] {
        pods = pods_status();
        return pods.is_object() && pods.value("selected", 0) == 1 &&
               pods.value("injected", 0) == 1 && pods.value("staleDigest", -1) == 0 &&
               profile_without_condition("amf", "Drifted");
      },
      std::chrono::seconds(60)))
      << pods.dump() << "\n"
      << operators_[0]->log();
  // Written once: one template change since the Deployment was created.
  EXPECT_EQ(client_->get(kDeployments, namespace_, "amf")["metadata"]["generation"], 2);

  // An operator restarted with the rollout done reconciles the profile and writes nothing.
  operators_.clear();
  ports_.clear();
  const auto again = start_operator("rollout-again");
  ASSERT_TRUE(eventually(
      [&] {
        return metric(again, "controller_runtime_reconcile_total",
                      "controller=\"securityprofile\"") > 0;
      },
      std::chrono::seconds(60)))
      << operators_[again]->log();
  EXPECT_TRUE(profile_without_condition("amf", "Drifted"));
  EXPECT_EQ(client_->get(kDeployments, namespace_, "amf")["metadata"]["generation"], 2);
}

}  // namespace
}  // namespace secprov::testing
