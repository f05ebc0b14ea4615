// Issue 6 safety defects, against the real control plane: what a profile deletes, adopts and
// re-issues, and a CA that cannot cover renewBefore. Each test failed before its fix.
#include <gtest/gtest.h>

#include <thread>

#include "crypto/authority.h"
#include "crypto/certificate.h"
#include "crypto/csr.h"
#include "crypto/encoding.h"
#include "operator_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;
namespace resources = kube::resources;
using namespace std::chrono_literals;

class SafetyTest : public OperatorTest {
 protected:
  std::string profile_yaml(const std::string& name, const std::string& extra_spec = {}) {
    return "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: " + name +
           "\nspec:\n  nfType: AMF\n  selector:\n    matchLabels: {app: nf}\n"
           "  trustDomainRef:\n    name: " +
           (trust_domain_.empty() ? std::string("absent-domain") : trust_domain_) + "\n" +
           extra_spec;
  }
  bool stalled_with(const std::string& name, const std::string& reason) {
    for (const auto& c :
         profile(name).value("status", Json::object()).value("conditions", Json::array())) {
      if (c["type"] == "Stalled") return c["status"] == "True" && c["reason"] == reason;
    }
    return false;
  }
  // Events of this namespace with `reason` about `object_name`.
  std::vector<Json> events(const std::string& reason, const std::string& object_name) {
    std::vector<Json> out;
    for (const auto& e : client_->list(resources::events(), namespace_).items) {
      if (e.value("reason", std::string{}) == reason &&
          e["involvedObject"].value("name", std::string{}) == object_name) {
        out.push_back(e);
      }
    }
    return out;
  }
  Json findings(const std::string& name) {
    return profile(name).value("status", Json::object()).value("driftFindings", Json::array());
  }
  Json user_secret(const std::string& name) {
    return {{"apiVersion", "v1"},
            {"kind", "Secret"},
            {"metadata", {{"name", name}}},
            {"data", {{"tls.key", crypto::base64_encode("a user's own key")}}}};
  }
};

// §1: a profile whose generated names are taken by a user's objects never writes or
// deletes them, whether it stalls on the conflict or on a missing trust domain.
TEST_F(SafetyTest, DeletingAProfileLeavesForeignObjectsBearingItsNames) {
  create_trust_domain();
  start_operator("op");
  client_->create(resources::secrets(), namespace_, user_secret("nginx-tls"));
  client_->create(resources::secrets(), namespace_, user_secret("nginx-ipsec"));
  client_->create(resources::config_maps(), namespace_,
                  {{"apiVersion", "v1"},
                   {"kind", "ConfigMap"},
                   {"metadata", {{"name", "nginx-security"}}},
                   {"data", {{"nginx.conf", "user"}}}});
  client_->create(resources::secrets(), namespace_, user_secret("web-tls"));
  const auto versions = [&] {
    return std::vector<Json>{secret("nginx-tls")["metadata"]["resourceVersion"],
                             secret("nginx-ipsec")["metadata"]["resourceVersion"],
                             config_map("nginx-security")["metadata"]["resourceVersion"],
                             secret("web-tls")["metadata"]["resourceVersion"]};
  };
  const auto before = versions();

  ASSERT_EQ(apply_yaml(profile_yaml("nginx")), 0);
  const std::string saved_domain = trust_domain_;
  trust_domain_.clear();  // "web" names a trust domain that does not exist
  ASSERT_EQ(apply_yaml(profile_yaml("web")), 0);
  trust_domain_ = saved_domain;
  EXPECT_TRUE(eventually([&] { return stalled_with("nginx", "ObjectConflict"); }, 60s))
      << operators_[0]->log();
  EXPECT_TRUE(eventually([&] { return stalled_with("web", "TrustDomainNotFound"); }, 60s));
  EXPECT_EQ(versions(), before) << "a stalled profile wrote to objects it does not own";

  // deletionPolicy Delete takes no finalizer: the garbage collector deletes what the profile
  // owns (owner references), and nothing of the user's, which it never owned. Reported while
  // the profile lived (ObjectConflict above), never touched.
  EXPECT_FALSE(profile("nginx")["metadata"].contains("finalizers") ||
               profile("web")["metadata"].contains("finalizers"))
      << "a Delete profile took a finalizer";
  std::string output;
  ASSERT_EQ(
      kubectl("delete -n " + namespace_ + " securityprofile nginx web --timeout=60s", &output), 0)
      << output << operators_[0]->log();
  // A later profile of this namespace, Ready, says the operator and the garbage collector
  // have seen the deletions.
  ASSERT_EQ(apply_yaml(profile_yaml("later")), 0);
  ASSERT_TRUE(eventually([&] { return profile_condition("later", "Ready", "True"); }, 60s))
      << operators_[0]->log();
  EXPECT_EQ(versions(), before) << "deletion touched objects the profile does not own";
  EXPECT_EQ(decode(secret("nginx-tls"), "tls.key"), "a user's own key");
}

// §1: Stalled on ObjectConflict is looked at again when the foreign object goes, without
// waiting for the 10-minute resync.
TEST_F(SafetyTest, AProfileStalledOnAForeignObjectProceedsWhenItGoes) {
  create_trust_domain();
  start_operator("op");
  client_->create(resources::secrets(), namespace_, user_secret("ausf-tls"));
  ASSERT_EQ(apply_yaml(profile_yaml("ausf")), 0);
  ASSERT_TRUE(eventually([&] { return stalled_with("ausf", "ObjectConflict"); }, 60s))
      << operators_[0]->log();
  EXPECT_TRUE(gone(resources::config_maps(), "ausf-security")) << "half provisioned";
  client_->remove(resources::secrets(), namespace_, "ausf-tls");
  EXPECT_TRUE(eventually([&] { return profile_condition("ausf", "Ready", "True"); }, 90s))
      << operators_[0]->log();
  EXPECT_FALSE(gone(resources::secrets(), "ausf-tls"));
}

// §2: a CA ending inside the default renewBefore (30 days): one certificate, capped at the
// CA, a CAExpiringSoon condition and Event, and no renewal storm.
TEST_F(SafetyTest, ACaEndingInsideRenewBeforeIssuesOnceAndSaysSo) {
  const auto now = std::chrono::system_clock::now();
  const auto root =
      crypto::CertificateAuthority::create_self_signed(crypto::KeyAlgorithm::EcdsaP256,
                                                       {.country = "FR",
                                                        .organization = "short",
                                                        .organizational_unit = {},
                                                        .common_name = "short root"},
                                                       48h, now - 1h);
  trust_domain_ = "td-short-" + namespace_.substr(0, 40);
  client_->create(
      resources::secrets(), namespace_,
      {{"apiVersion", "v1"},
       {"kind", "Secret"},
       {"metadata",
        {{"name", "short-ca"}, {"labels", {{"secprov.io/trust-domain", trust_domain_}}}}},
       {"type", "kubernetes.io/tls"},
       {"data",
        {{"tls.crt", crypto::base64_encode(root.certificate().to_pem())},
         {"tls.key", crypto::base64_encode(root.key().to_pkcs8_pem())}}}});
  std::string output;
  ASSERT_EQ(apply_yaml("apiVersion: secprov.io/v1alpha1\nkind: TrustDomain\nmetadata:\n  name: " +
                           trust_domain_ +
                           "\nspec:\n  domain: 5gc.example.org\n  country: FR\n"
                           "  ca:\n    secretRef:\n      name: short-ca\n",
                       &output),
            0)
      << output;
  const auto op = start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("udm")), 0);
  ASSERT_TRUE(eventually([&] { return profile_condition("udm", "Ready", "True"); }, 60s))
      << operators_[op]->log();
  EXPECT_TRUE(eventually([&] { return profile_condition("udm", "CAExpiringSoon", "True"); }));
  EXPECT_TRUE(eventually([&] { return !events("CAExpiringSoon", "udm").empty(); }));
  const auto leaf = crypto::Certificate::parse_chain(decode(secret("udm-tls"), "tls.crt")).front();
  EXPECT_EQ(std::chrono::time_point_cast<std::chrono::seconds>(leaf.not_after()),
            std::chrono::time_point_cast<std::chrono::seconds>(root.certificate().not_after()));

  // Before the fix this reissued about 25 certificates a second.
  const auto version = secret("udm-tls")["metadata"]["resourceVersion"];
  std::this_thread::sleep_for(5s);
  EXPECT_EQ(secret("udm-tls")["metadata"]["resourceVersion"], version);
  EXPECT_EQ(metric(op, "secprov_certificates_issued_total"), 1.0);
  EXPECT_EQ(metric(op, "secprov_certificate_issuance_throttled_total"), 0.0);
}

// §6: a removed managed-by label is put back on the same object; no new key, no "Deleted".
TEST_F(SafetyTest, ARemovedManagedByLabelIsPutBackWithoutANewKey) {
  create_trust_domain();
  start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("nssf")), 0);
  ASSERT_TRUE(eventually([&] { return profile_condition("nssf", "Ready", "True"); }, 60s));
  const auto before = secret("nssf-tls");
  std::string output;
  ASSERT_EQ(
      kubectl("label -n " + namespace_ + " secret nssf-tls app.kubernetes.io/managed-by-", &output),
      0)
      << output;
  ASSERT_TRUE(eventually([&] {
    return secret("nssf-tls")["metadata"]
               .value("labels", Json::object())
               .value("app.kubernetes.io/managed-by", std::string{}) == "secprov";
  })) << operators_[0]->log();
  const auto after = secret("nssf-tls");
  EXPECT_EQ(after["metadata"]["uid"], before["metadata"]["uid"]);
  // Compared without printing: the data holds a private key.
  EXPECT_TRUE(after["data"] == before["data"]) << "a stripped label cost a new key";
  for (const auto& f : findings("nssf")) EXPECT_NE(f["reason"], "Deleted") << f.dump();
  EXPECT_TRUE(eventually([&] { return profile_condition("nssf", "Ready", "True"); }));
}

// §6: a replaced certificate whose data-digests annotation was forged to match is drift
// (status records what was written), not a "Renewed".
TEST_F(SafetyTest, AForgedDigestAnnotationOnAReplacedCertificateIsDrift) {
  create_trust_domain();
  start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("chf")), 0);
  ASSERT_EQ(apply_yaml(profile_yaml("bsf", "  driftPolicy: Report\n")), 0);
  ASSERT_TRUE(eventually(
      [&] {
        return profile_condition("chf", "Ready", "True") &&
               profile_condition("bsf", "Ready", "True");
      },
      60s));

  const auto now = std::chrono::system_clock::now();
  const auto other = crypto::CertificateAuthority::create_self_signed(
      crypto::KeyAlgorithm::EcdsaP256,
      {.country = "FR", .organization = "other", .organizational_unit = {}, .common_name = "other"},
      24h * 365, now - 1h);
  const auto forge = [&](const std::string& name) {
    const auto key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
    crypto::CertificateTemplate t;
    t.dns_names = {name + "." + namespace_ + ".svc"};
    t.not_before = now - 1h;
    t.not_after = now + 24h * 30;
    const auto cert = other.sign(crypto::CertificateSigningRequest::create(key, t), t, now);
    const auto current = secret(name + "-tls");
    Json data = current["data"];
    data["tls.crt"] = crypto::base64_encode(cert.to_pem());
    data["tls.key"] = crypto::base64_encode(key.to_pkcs8_pem());
    Json digests = Json::object();
    for (const auto& [k, v] : data.items()) {
      digests[k] = crypto::sha256_hex(crypto::base64_decode(v.get<std::string>()).value());
    }
    client_->merge_patch(
        resources::secrets(), namespace_, name + "-tls",
        {{"metadata", {{"annotations", {{"secprov.io/data-digests", digests.dump()}}}}},
         {"data", data}});
    return cert;
  };
  const auto has_finding = [&](const std::string& name, const std::string& action) {
    for (const auto& f : findings(name)) {
      if (f["field"] == "data.tls.crt" && f["action"] == action) return true;
    }
    return false;
  };

  const auto forged = forge("chf");
  EXPECT_TRUE(eventually([&] { return has_finding("chf", "Repaired"); }, 30s))
      << findings("chf").dump() << operators_[0]->log();
  const auto repaired =
      crypto::Certificate::parse_chain(decode(secret("chf-tls"), "tls.crt")).front();
  EXPECT_NE(repaired.sha256_fingerprint(), forged.sha256_fingerprint());
  EXPECT_FALSE(repaired.issued_by(other.certificate()));
  EXPECT_TRUE(events("Renewed", "chf").empty()) << "drift reported as a renewal";

  const auto forged_report = forge("bsf");
  EXPECT_TRUE(eventually([&] { return has_finding("bsf", "Reported"); }, 30s))
      << findings("bsf").dump();
  EXPECT_TRUE(profile_condition("bsf", "Drifted", "True"));
  EXPECT_EQ(crypto::Certificate::parse_chain(decode(secret("bsf-tls"), "tls.crt"))
                .front()
                .sha256_fingerprint(),
            forged_report.sha256_fingerprint())
      << "Report must leave the object as it is";
}

// §6: objects retained by a deleted profile are adopted by a new profile of the same name,
// even under Report, instead of being reported as "ownerReferences Modified" forever.
TEST_F(SafetyTest, RetainedObjectsAreAdoptedByAProfileOfTheSameName) {
  create_trust_domain();
  start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("pcf", "  deletionPolicy: Retain\n")), 0);
  ASSERT_TRUE(eventually([&] { return profile_condition("pcf", "Ready", "True"); }, 60s));
  std::string output;
  ASSERT_EQ(kubectl("delete -n " + namespace_ + " securityprofile pcf --timeout=60s", &output), 0)
      << output;
  const auto retained = secret("pcf-tls");
  ASSERT_TRUE(retained["metadata"].value("ownerReferences", Json::array()).empty());
  // Kept in use: its deletion would not wait for a revocation.
  EXPECT_TRUE(retained["metadata"].value("finalizers", Json::array()).empty());

  ASSERT_EQ(apply_yaml(profile_yaml("pcf", "  driftPolicy: Report\n")), 0);
  ASSERT_TRUE(eventually(
      [&] {
        return profile_condition("pcf", "Ready", "True") &&
               profile_without_condition("pcf", "Drifted");
      },
      60s))
      << profile("pcf").dump() << operators_[0]->log();
  const auto uid = profile("pcf")["metadata"]["uid"];
  const auto adopted = secret("pcf-tls");
  ASSERT_EQ(adopted["metadata"]["ownerReferences"].size(), 1u);
  EXPECT_EQ(adopted["metadata"]["ownerReferences"][0]["uid"], uid);
  EXPECT_EQ(adopted["data"]["tls.crt"], retained["data"]["tls.crt"]) << "adoption reissued";
  // The new profile (Delete) holds its certificate's revocation through the Secret again.
  EXPECT_EQ(adopted["metadata"]["finalizers"], Json::array({"secprov.io/revoke"}));
  EXPECT_FALSE(profile("pcf")["metadata"].contains("finalizers"));
  for (const auto& f : findings("pcf"))
    EXPECT_NE(f["field"], "metadata.ownerReferences") << f.dump();
  EXPECT_EQ(config_map("pcf-security")["metadata"]["ownerReferences"][0]["uid"], uid);
}

}  // namespace
}  // namespace secprov::testing
