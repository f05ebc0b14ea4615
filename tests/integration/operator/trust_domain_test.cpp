// TrustDomains against the real control plane: a lost or changed CA key pair replaces
// nothing, replacement is explicit and staged (the new CA in every bundle before it issues, the
// old one until no leaf chains to it; rotation_test.cpp covers the phases), CA expiry is
// flagged, and a foreign "<domain>-ca" ConfigMap is never taken over or deleted (issue 6).
#include <gtest/gtest.h>

#include <set>

#include "api/time.h"
#include "crypto/authority.h"
#include "crypto/certificate.h"
#include "crypto/encoding.h"
#include "operator_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;
namespace resources = kube::resources;
using std::chrono::seconds;

class TrustDomainTest : public OperatorTest {
 protected:
  std::string profile_yaml(const std::string& name) {
    return "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: " + name +
           "\nspec:\n  nfType: AMF\n  selector:\n    matchLabels: {app: nf}\n"
           "  trustDomainRef:\n    name: " +
           trust_domain_ + "\n";
  }
  bool ready(const std::string& name) { return profile_condition(name, "Ready", "True"); }
  Json domain() { return client_->get(resources::trust_domains(), "", trust_domain_); }
  Json domain_status() { return domain().value("status", Json::object()); }
  // The TrustDomain's condition `type` has this status (and reason, when given).
  bool domain_condition(const std::string& type, const std::string& status,
                        const std::string& reason = {}) {
    for (const auto& c : domain_status().value("conditions", Json::array())) {
      if (c["type"] == type) {
        return c["status"] == status && (reason.empty() || c["reason"] == reason);
      }
    }
    return false;
  }
  bool domain_has_condition(const std::string& type) {
    for (const auto& c : domain_status().value("conditions", Json::array())) {
      if (c["type"] == type) return true;
    }
    return false;
  }
  std::string condition_message(const std::string& type) {
    for (const auto& c : domain_status().value("conditions", Json::array())) {
      if (c["type"] == type) return c.value("message", std::string{});
    }
    return {};
  }
  // Events about the (cluster-scoped) TrustDomain live in namespace default.
  std::vector<Json> domain_events(const std::string& reason) {
    kube::ListOptions options;
    // By UID: Events of an earlier TrustDomain of the same name outlive it.
    options.field_selector =
        "involvedObject.uid=" + domain()["metadata"]["uid"].get<std::string>() +
        ",reason=" + reason;
    return client_->list(resources::events(), "default", options).items;
  }
  // The random end of the test's namespace name.
  std::string unique_suffix() const { return namespace_.substr(namespace_.rfind('-') + 1); }
  std::string key_pair_name() const { return trust_domain_ + "-ca-keypair"; }
  // Fingerprints in the namespace's trust bundle, in order.
  std::vector<std::string> bundle_fingerprints() {
    std::vector<std::string> out;
    try {
      const auto bundle = config_map(trust_domain_ + "-ca");
      for (const auto& c :
           crypto::Certificate::parse_chain(bundle["data"]["ca.crt"].get<std::string>()))
        out.push_back(c.sha256_fingerprint());
    } catch (const std::exception&) {
    }
    return out;
  }
  crypto::Certificate leaf_of(const std::string& secret_name) {
    return crypto::Certificate::parse_chain(decode(secret(secret_name), "tls.crt")).front();
  }
  std::string version_of(const Json& object) { return object["metadata"]["resourceVersion"]; }
  static Json tls_secret(const std::string& name, const crypto::Certificate& certificate,
                         const crypto::PrivateKey& key, Json labels) {
    return {{"apiVersion", "v1"},
            {"kind", "Secret"},
            {"metadata", {{"name", name}, {"labels", std::move(labels)}}},
            {"type", "kubernetes.io/tls"},
            {"data",
             {{"tls.crt", crypto::base64_encode(certificate.to_pem())},
              {"tls.key", crypto::base64_encode(key.to_pkcs8_pem())}}}};
  }
  static crypto::CertificateAuthority make_ca(const std::string& name,
                                              std::chrono::system_clock::duration validity) {
    return crypto::CertificateAuthority::create_self_signed(
        crypto::KeyAlgorithm::EcdsaP256,
        {.country = "FR", .organization = name, .organizational_unit = {}, .common_name = name},
        validity, std::chrono::system_clock::now());
  }
  // Until every reconcile the operator had to do is done (a check of what did NOT happen).
  bool controllers_idle(std::size_t index) {
    for (const std::string c : {"trustdomain", "trustbundle", "securityprofile"}) {
      if (metric(index, "workqueue_depth", "name=\"" + c + "\"") != 0) return false;
      if (metric(index, "controller_runtime_active_workers", "controller=\"" + c + "\"") != 0)
        return false;
    }
    return true;
  }
};

TEST_F(TrustDomainTest, LosingTheKeyPairStallsAndRegeneratesOrReissuesNothing) {
  create_trust_domain();
  start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("amf") + "---\n" + profile_yaml("smf")), 0);
  ASSERT_TRUE(eventually([&] { return ready("amf") && ready("smf"); }, seconds(60)))
      << operators_[0]->log();
  ASSERT_TRUE(eventually([&] { return domain_condition("Ready", "True", "CAReady"); }));
  const std::string accepted = domain_status()["caFingerprint"];
  ASSERT_EQ(accepted.size(), 64u);
  const auto original = secret(key_pair_name());
  const std::map<std::string, std::string> versions = {{"amf-tls", version_of(secret("amf-tls"))},
                                                       {"smf-tls", version_of(secret("smf-tls"))}};

  client_->remove(resources::secrets(), namespace_, key_pair_name());
  ASSERT_TRUE(eventually([&] { return domain_condition("Stalled", "True", "CAKeyPairMissing"); }))
      << domain_status().dump(2) << operators_[0]->log();
  EXPECT_TRUE(domain_condition("Ready", "False", "CAKeyPairMissing"));
  const std::string message = condition_message("Stalled");
  EXPECT_NE(message.find(namespace_ + "/" + key_pair_name()), std::string::npos) << message;
  EXPECT_NE(message.find(accepted), std::string::npos) << message;
  EXPECT_EQ(domain_status()["caFingerprint"], accepted) << "the accepted CA is kept";
  EXPECT_TRUE(eventually([&] { return domain_events("CAKeyPairMissing").size() == 1; }))
      << "one Warning Event";

  // Another reconcile of the domain: still no new CA, nothing reissued.
  const double reconciles =
      metric(0, "controller_runtime_reconcile_total", "controller=\"trustdomain\"");
  ASSERT_EQ(kubectl("annotate trustdomain " + trust_domain_ + " test/poke=1"), 0);
  ASSERT_TRUE(eventually([&] {
    return metric(0, "controller_runtime_reconcile_total", "controller=\"trustdomain\"") >
               reconciles &&
           controllers_idle(0);
  }));
  EXPECT_TRUE(gone(resources::secrets(), key_pair_name())) << "a new CA was generated";
  for (const auto& [name, version] : versions) {
    EXPECT_EQ(version_of(secret(name)), version) << name << " was reissued";
  }
  EXPECT_EQ(domain_events("CAKeyPairMissing").size(), 1u);
  EXPECT_EQ(domain_events("CAKeyPairMissing").at(0).value("count", 1), 1)
      << "the Event is per transition, not per reconcile";

  // A different CA put in its place is not accepted either, nor published.
  const auto other = make_ca("other", std::chrono::hours(24 * 365));
  client_->create(resources::secrets(), namespace_,
                  tls_secret(key_pair_name(), other.certificate(), other.key(),
                             original["metadata"]["labels"]));
  ASSERT_TRUE(eventually([&] { return domain_condition("Stalled", "True", "CAKeyPairChanged"); }))
      << domain_status().dump(2);
  EXPECT_NE(condition_message("Stalled").find(accepted), std::string::npos);
  EXPECT_EQ(domain_status()["caFingerprint"], accepted);
  EXPECT_TRUE(eventually([&] { return domain_events("CAKeyPairChanged").size() == 1; }));
  ASSERT_TRUE(eventually([&] { return controllers_idle(0); }));
  EXPECT_EQ(bundle_fingerprints(), std::vector<std::string>{accepted});

  // The original key pair restored: Ready again, with the same CA.
  client_->merge_patch(resources::secrets(), namespace_, key_pair_name(),
                       {{"data", original["data"]}});
  EXPECT_TRUE(eventually([&] { return domain_condition("Ready", "True", "CAReady"); }))
      << domain_status().dump(2);
  EXPECT_EQ(domain_status()["caFingerprint"], accepted);
}

TEST_F(TrustDomainTest, ReplaceCaAnnotationOverlapsOldAndNewCaUntilEveryLeafIsReissued) {
  create_trust_domain();
  start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("amf")), 0);
  ASSERT_TRUE(eventually([&] { return ready("amf"); }, seconds(60))) << operators_[0]->log();
  ASSERT_TRUE(eventually([&] { return domain_condition("Ready", "True"); }));
  const std::string old_fingerprint = domain_status()["caFingerprint"];
  // The bundle is another controller's write: Ready of the profile does not order it.
  ASSERT_TRUE(eventually([&] {
    return bundle_fingerprints() == std::vector<std::string>{old_fingerprint};
  })) << domain_status().dump(2);
  const auto bundle_owner = config_map(trust_domain_ + "-ca")["metadata"]["ownerReferences"];
  ASSERT_EQ(bundle_owner.size(), 1u) << bundle_owner.dump();
  EXPECT_EQ(bundle_owner[0]["kind"], "TrustDomain");
  EXPECT_EQ(bundle_owner[0]["uid"], domain()["metadata"]["uid"]);
  EXPECT_EQ(bundle_owner[0]["controller"], true);

  // A leaf of the domain that is not reissued yet (as an NF whose profile is slower): it
  // holds the old CA in the bundles until it goes.
  const auto key_pair = secret(key_pair_name());
  const auto old_ca = crypto::CertificateAuthority::load(
      decode(key_pair, "tls.crt"), decode(key_pair, "tls.key"), std::chrono::system_clock::now());
  const auto stray_key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
  crypto::CertificateTemplate request;
  request.subject = {
      .country = "FR", .organization = "stray", .organizational_unit = {}, .common_name = {}};
  request.dns_names = {"stray.example.org"};
  request.not_before = std::chrono::system_clock::now();
  request.not_after = request.not_before + std::chrono::hours(24);
  const auto stray_leaf = old_ca.sign(crypto::CertificateSigningRequest::create(stray_key, request),
                                      request, std::chrono::system_clock::now());
  client_->create(resources::secrets(), namespace_,
                  tls_secret("stray-tls", stray_leaf, stray_key,
                             {{"app.kubernetes.io/managed-by", "secprov"},
                              {"secprov.io/trust-domain", trust_domain_}}));

  ASSERT_EQ(kubectl("annotate trustdomain " + trust_domain_ + " secprov.io/replace-ca=r1"), 0);
  ASSERT_TRUE(eventually([&] {
    const auto status = domain_status();
    return status.value("caFingerprint", std::string{}) != old_fingerprint &&
           status.value("caReplacementToken", std::string{}) == "r1";
  })) << domain_status().dump(2)
      << operators_[0]->log();
  const auto status = domain_status();
  const std::string new_fingerprint = status["caFingerprint"];
  ASSERT_EQ(status["previousCAs"].size(), 1u) << status.dump(2);
  EXPECT_EQ(status["previousCAs"][0]["fingerprint"], old_fingerprint);
  EXPECT_EQ(
      crypto::Certificate::from_pem(status["previousCAs"][0]["certificate"].get<std::string>())
          .sha256_fingerprint(),
      old_fingerprint);
  EXPECT_TRUE(domain_condition("Ready", "True"));
  // Staged (issue 11): the new CA was in every bundle before it issued anything.
  EXPECT_EQ(status["rotation"]["phase"], "Reissuing") << status.dump(2);
  EXPECT_TRUE(eventually([&] { return !domain_events("RotationDistributing").empty(); }));
  EXPECT_TRUE(eventually([&] { return !domain_events("RotationReissuing").empty(); }));
  const auto new_ca = crypto::Certificate::from_pem(decode(secret(key_pair_name()), "tls.crt"));
  EXPECT_EQ(new_ca.sha256_fingerprint(), new_fingerprint);

  // Old and new in the bundle while a leaf of the old CA remains.
  const std::vector<std::string> both = {new_fingerprint, old_fingerprint};
  EXPECT_TRUE(eventually([&] { return bundle_fingerprints() == both; }))
      << config_map(trust_domain_ + "-ca").dump(2);
  // The profile's leaf is reissued by the new CA; the stray one still holds the overlap.
  EXPECT_TRUE(eventually([&] { return leaf_of("amf-tls").issued_by(new_ca); }, seconds(60)))
      << operators_[0]->log();
  EXPECT_EQ(bundle_fingerprints(), both);

  // The last leaf of the old CA goes: the bundle holds only the new CA.
  client_->remove(resources::secrets(), namespace_, "stray-tls");
  EXPECT_TRUE(
      eventually([&] { return bundle_fingerprints() == std::vector<std::string>{new_fingerprint}; },
                 seconds(60)))
      << config_map(trust_domain_ + "-ca").dump(2) << operators_[0]->log();
  EXPECT_TRUE(eventually([&] { return !domain_status().contains("previousCAs"); }))
      << domain_status().dump(2);
  EXPECT_TRUE(eventually([&] { return domain_status()["rotation"]["phase"] == "Complete"; }))
      << domain_status().dump(2);

  // The token is processed once, also across a restart.
  operators_[0]->signal(SIGKILL);
  operators_[0]->wait_for(seconds(5));
  const auto second = start_operator("op-again");
  ASSERT_TRUE(eventually([&] {
    return metric(second, "controller_runtime_reconcile_total", "controller=\"trustdomain\"") > 0 &&
           controllers_idle(second);
  }));
  EXPECT_EQ(domain_status()["caFingerprint"], new_fingerprint);
  EXPECT_EQ(crypto::Certificate::from_pem(decode(secret(key_pair_name()), "tls.crt"))
                .sha256_fingerprint(),
            new_fingerprint);
}

TEST_F(TrustDomainTest, AnImportedCaExpiringWithin720hIsFlaggedAtTheInstantItIsDue) {
  // Due 45 s from now: first no CAExpiringSoon (False), then True without any other change.
  const auto ca = make_ca("imported", std::chrono::hours(720) + seconds(45));
  trust_domain_ = "td-expiring-" + unique_suffix();
  client_->create(resources::secrets(), namespace_,
                  tls_secret("expiring-ca", ca.certificate(), ca.key(),
                             {{"secprov.io/trust-domain", trust_domain_}}));
  start_operator("op");
  std::string output;
  ASSERT_EQ(apply_yaml("apiVersion: secprov.io/v1alpha1\nkind: TrustDomain\nmetadata:\n  name: " +
                           trust_domain_ +
                           "\nspec:\n  domain: 5gc.example.org\n  country: FR\n"
                           "  ca:\n    secretRef:\n      name: expiring-ca\n",
                       &output),
            0)
      << output;
  ASSERT_TRUE(eventually([&] { return domain_condition("Ready", "True"); }))
      << domain_status().dump(2) << operators_[0]->log();
  EXPECT_FALSE(domain_has_condition("CAExpiringSoon")) << domain_status().dump(2);
  EXPECT_TRUE(domain_events("CAExpiringSoon").empty());

  ASSERT_TRUE(eventually(
      [&] { return domain_condition("CAExpiringSoon", "True", "CAExpiringSoon"); }, seconds(90)))
      << domain_status().dump(2);
  const std::string date = api::format_rfc3339(
      std::chrono::time_point_cast<std::chrono::seconds>(ca.certificate().not_after()));
  EXPECT_NE(condition_message("CAExpiringSoon").find(date), std::string::npos)
      << condition_message("CAExpiringSoon");
  EXPECT_TRUE(domain_condition("Ready", "True")) << "still usable, just flagged";
  EXPECT_TRUE(eventually([&] { return domain_events("CAExpiringSoon").size() == 1; }));
  EXPECT_EQ(domain_events("CAExpiringSoon").at(0)["type"], "Warning");
}

TEST_F(TrustDomainTest, AForeignBundleConfigMapIsNeitherAppliedOverNorDeleted) {
  create_trust_domain();
  start_operator("op");
  // Someone else's ConfigMap under the bundle's name, even with the operator's labels.
  std::string output;
  ASSERT_EQ(apply_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + trust_domain_ +
                           "-ca\n  labels:\n    app.kubernetes.io/managed-by: secprov\n"
                           "    secprov.io/trust-domain: " +
                           trust_domain_ + "\ndata:\n  note: mine\n",
                       &output),
            0)
      << output;
  const auto foreign = config_map(trust_domain_ + "-ca");

  ASSERT_EQ(apply_yaml(profile_yaml("amf")), 0);
  ASSERT_TRUE(eventually([&] { return ready("amf"); }, seconds(60))) << operators_[0]->log();
  EXPECT_TRUE(eventually([&] { return !domain_events("TrustBundleConflict").empty(); }))
      << operators_[0]->log();
  ASSERT_TRUE(eventually([&] { return controllers_idle(0); }));
  EXPECT_EQ(version_of(config_map(trust_domain_ + "-ca")), version_of(foreign))
      << "applied over: " << config_map(trust_domain_ + "-ca").dump(2);

  ASSERT_EQ(kubectl("delete -n " + namespace_ + " securityprofile amf --timeout=60s", &output), 0)
      << output;
  ASSERT_TRUE(eventually([&] { return controllers_idle(0); }));
  ASSERT_FALSE(gone(resources::config_maps(), trust_domain_ + "-ca")) << "a foreign object deleted";
  const auto after = config_map(trust_domain_ + "-ca");
  EXPECT_EQ(version_of(after), version_of(foreign));
  EXPECT_EQ(after["data"], (Json{{"note", "mine"}}));
}

TEST_F(TrustDomainTest, TheSchemaRefusesAGeneratedCaShorterThanThreeRenewalMargins) {
  // A 24h CA made every certificate due for renewal at once (issue 6, item 2).
  trust_domain_ = "td-short-" + unique_suffix();
  const std::string yaml =
      "apiVersion: secprov.io/v1alpha1\nkind: TrustDomain\nmetadata:\n  name: " + trust_domain_ +
      "\nspec:\n  domain: 5gc.example.org\n  country: FR\n"
      "  ca:\n    generate:\n      duration: ";
  std::string output;
  EXPECT_NE(apply_yaml(yaml + "24h\n", &output), 0) << output;
  EXPECT_NE(output.find("spec.ca.generate.duration"), std::string::npos) << output;
  EXPECT_NE(output.find("at least 2160h"), std::string::npos) << output;
  EXPECT_EQ(apply_yaml(yaml + "2160h\n", &output), 0) << output;
}

}  // namespace
}  // namespace secprov::testing
