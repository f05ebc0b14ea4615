// Issue 9, "A validating admission webhook on SecurityProfile" and "Webhook serving": the real
// kube-apiserver calls the operator's HTTPS webhook on a local port. The operator creates its
// bootstrap CA and serving certificate (Secrets in its namespace), injects the caBundle into
// its (labelled) ValidatingWebhookConfiguration, leaves an unlabelled configuration alone,
// and kubectl shows the webhook's refusals (naming the field) and its warnings.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "crypto/certificate.h"
#include "operator_fixture.h"
#include "support/free_port.h"
#include "support/webhook_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;

const std::string kId = "3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f";

std::string profile_yaml(const std::string& name, const std::string& app, const std::string& domain,
                         const std::string& extra_spec = {}) {
  return "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: " + name +
         "\nspec:\n  nfType: AMF\n  selector:\n    matchLabels:\n      app: " + app +
         "\n  trustDomainRef:\n    name: " + domain + "\n" + extra_spec;
}

class WebhookTest : public OperatorTest {
 protected:
  // Whether a server-side dry run of `yaml` is refused with `needle` in kubectl's output (the
  // webhook is called on dry runs too: sideEffects None). Polled until the webhook's cache
  // has caught up with what the test applied just before.
  bool dry_run_refused(const std::string& yaml, const std::string& needle) {
    const auto file = cluster_paths().binary_dir / "it" / (namespace_ + "-dry-run.yaml");
    std::ofstream(file) << yaml;
    std::string output;
    return kubectl("apply --dry-run=server -n " + namespace_ + " -f " + file.string(), &output) !=
               0 &&
           output.find(needle) != std::string::npos;
  }
};

TEST_F(WebhookTest, ApiserverCallsTheValidatingWebhookOverInjectedCaBundle) {
  const auto domain = create_trust_domain();
  const LoopbackWebhook webhook(namespace_);
  const auto& configuration = webhook.configuration();
  const auto port = webhook.port();
  start_operator("webhooks", webhook.operator_flags());

  // An unlabelled (foreign) configuration of the same name: reported, never written. Its
  // webhook matches nothing (objectSelector) and would be ignored anyway.
  std::string output;
  ASSERT_EQ(apply_yaml("apiVersion: admissionregistration.k8s.io/v1\n"
                       "kind: MutatingWebhookConfiguration\nmetadata:\n  name: " +
                           configuration +
                           "\nwebhooks:\n- name: foreign.example.org\n"
                           "  clientConfig:\n    url: https://127.0.0.1:1/never\n"
                           "  rules:\n  - apiGroups: [\"\"]\n    apiVersions: [v1]\n"
                           "    operations: [CREATE]\n    resources: [configmaps]\n"
                           "  objectSelector:\n    matchLabels:\n      never: matches\n"
                           "  failurePolicy: Ignore\n  sideEffects: None\n"
                           "  admissionReviewVersions: [v1]\n",
                       &output),
            0)
      << output;
  // Ours, without caBundle, limited to this test's namespace.
  ASSERT_EQ(apply_yaml(webhook.configuration_yaml(), &output), 0) << output;

  const auto bundle_pem = webhook.await_bundle(*client_);
  ASSERT_FALSE(bundle_pem.empty()) << operators_[0]->log();
  // The other fields of our configuration are as applied.
  const auto ours = client_->get(kValidatingWebhookConfigurations, "", configuration);
  EXPECT_EQ(ours["webhooks"][0]["failurePolicy"], "Fail");
  EXPECT_EQ(ours["webhooks"][0]["clientConfig"]["url"],
            "https://127.0.0.1:" + std::to_string(port) + "/validate-securityprofile");
  // The foreign one is untouched.
  const auto foreign = client_->get(kMutatingWebhookConfigurations, "", configuration);
  EXPECT_FALSE(foreign["webhooks"][0]["clientConfig"].contains("caBundle")) << foreign.dump();
  EXPECT_NE(operators_[0]->log().find("MutatingWebhookConfiguration " + configuration +
                                      " exists without the label"),
            std::string::npos);

  // The CA and the serving certificate are in the operator's namespace, labelled as ours;
  // the serving certificate verifies against the injected caBundle, and it is what the
  // port serves.
  const auto ca_secret = secret("secprov-webhook-ca");
  EXPECT_EQ(ca_secret["metadata"]["labels"]["app.kubernetes.io/managed-by"], "secprov");
  const auto tls_secret = secret("secprov-webhook-tls");
  const auto leaf = crypto::Certificate::from_pem(decode(tls_secret, "tls.crt"));
  const auto roots = crypto::Certificate::parse_chain(bundle_pem);
  EXPECT_EQ(crypto::verify_chain(leaf, {}, roots, std::chrono::system_clock::now()), std::nullopt);
  EXPECT_EQ(leaf.ip_addresses(), std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(leaf.dns_names(), std::vector<std::string>{"secprov-webhook." + namespace_ + ".svc"});
  EXPECT_EQ(webhook.served_fingerprint(port, bundle_pem), leaf.sha256_fingerprint());

  // A profile the webhook admits.
  ASSERT_EQ(
      apply_yaml(profile_yaml("amf-a", "amf-a", domain, "  nfInstanceId: " + kId + "\n"), &output),
      0)
      << output << operators_[0]->log();

  // The same nfInstanceId in the same trust domain: refused by the webhook (the CRD accepts
  // it), kubectl shows the message naming the field. Polled with a server-side dry run until
  // the operator's cache has amf-a.
  const auto duplicate = profile_yaml("amf-b", "amf-b", domain, "  nfInstanceId: " + kId + "\n");
  EXPECT_TRUE(eventually([&] { return dry_run_refused(duplicate, "spec.nfInstanceId"); },
                         std::chrono::seconds(30)));
  EXPECT_NE(apply_yaml(duplicate, &output), 0);
  EXPECT_NE(output.find("denied the request"), std::string::npos) << output;
  EXPECT_NE(output.find("spec.nfInstanceId: " + kId + " is already the nfInstanceId"),
            std::string::npos)
      << output;
  EXPECT_TRUE(gone(kube::resources::security_profiles(), "amf-b"));

  // A selector that may pick amf-a's Pods: refused, naming spec.selector.matchLabels.
  EXPECT_NE(apply_yaml(profile_yaml("amf-c", "amf-a", domain), &output), 0);
  EXPECT_NE(output.find("spec.selector.matchLabels: may select the same Pods as "
                        "SecurityProfile \"amf-a\""),
            std::string::npos)
      << output;

  // TLS 1.2 as the only version: admitted, with kubectl's "Warning:".
  ASSERT_EQ(apply_yaml(profile_yaml("amf-d", "amf-d", domain,
                                    "  sbi:\n    tls:\n      maxVersion: \"1.2\"\n"),
                       &output),
            0)
      << output;
  EXPECT_NE(output.find("Warning: spec.sbi.tls.maxVersion"), std::string::npos) << output;
  EXPECT_NE(output.find("securityprofile.secprov.io/amf-d"), std::string::npos) << output;

  // UPDATE of an admitted profile ignores the profile itself.
  ASSERT_EQ(apply_yaml(profile_yaml("amf-a", "amf-a", domain,
                                    "  nfInstanceId: " + kId + "\n  driftPolicy: Report\n"),
                       &output),
            0)
      << output;
}

// Every replica serves, only the leader reconciles: a standby answers admission from its own
// cache (synced without leadership), and both replicas serve the one serving certificate of
// the shared Secrets (created by one, read by the other).
TEST_F(WebhookTest, StandbyReplicaServesTheSameCertificateAndDecidesFromItsCache) {
  const auto domain = create_trust_domain();
  // The configuration calls port_b, the standby's.
  const LoopbackWebhook webhook(namespace_);
  const auto port_a = free_loopback_port();
  const auto port_b = webhook.port();
  const auto flags = [&](std::uint16_t port) {
    auto extra = webhook.operator_flags(port);
    extra.insert(extra.begin(), "--leader-elect");
    return extra;
  };
  start_operator("leader", flags(port_a));
  // The Lease may not exist yet: NotFound is "not yet", not a failure.
  ASSERT_TRUE(eventually(
      [&] {
        try {
          return client_->get(kube::resources::leases(), namespace_, "secprov-operator")["spec"]
                     .value("holderIdentity", std::string{}) == "leader";
        } catch (const kube::ApiError& e) {
          if (kube::is_not_found(e)) return false;
          throw;
        }
      },
      std::chrono::seconds(30)));
  start_operator("standby", flags(port_b));

  // The apiserver calls the standby only.
  std::string output;
  ASSERT_EQ(apply_yaml(webhook.configuration_yaml(), &output), 0) << output;
  const auto bundle_pem = webhook.await_bundle(*client_);
  ASSERT_FALSE(bundle_pem.empty());
  const auto leaf = crypto::Certificate::from_pem(decode(secret("secprov-webhook-tls"), "tls.crt"));
  EXPECT_TRUE(eventually([&] {
    return webhook.served_fingerprint(port_a, bundle_pem) == leaf.sha256_fingerprint() &&
           webhook.served_fingerprint(port_b, bundle_pem) == leaf.sha256_fingerprint();
  }));

  ASSERT_EQ(apply_yaml(profile_yaml("smf-a", "smf", domain), &output), 0) << output;
  // The leader reconciled it (the standby does not reconcile).
  EXPECT_TRUE(eventually([&] { return profile_condition("smf-a", "Ready", "True"); },
                         std::chrono::seconds(30)));
  // The standby refuses a profile selecting the same Pods: it knows smf-a from its cache.
  EXPECT_TRUE(eventually(
      [&] {
        return dry_run_refused(profile_yaml("smf-b", "smf", domain), "spec.selector.matchLabels");
      },
      std::chrono::seconds(30)));
  EXPECT_NE(apply_yaml(profile_yaml("smf-b", "smf", domain), &output), 0);
  EXPECT_NE(output.find("spec.selector.matchLabels: may select the same Pods as "
                        "SecurityProfile \"smf-a\""),
            std::string::npos)
      << output << operators_[1]->log();
  EXPECT_EQ(operators_[1]->log().find("became leader"), std::string::npos);
}

}  // namespace
}  // namespace secprov::testing
