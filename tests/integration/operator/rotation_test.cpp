// Staged trust-anchor rotation of a TrustDomain against the real control plane (issue 11, 4):
// Distributing (the new CA joins every bundle, the old one still issues), Reissuing (the new
// CA issues every leaf, the old one is still trusted), Retiring (the old CA leaves the
// bundles), Complete. Three profiles of one domain; two stray objects of the domain hold the
// first two phases open so that each can be checked; the operator is killed (SIGKILL) in the
// middle phase and a new process resumes; a mutual TLS handshake between two issued leaves
// succeeds at every phase.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>

#include "crypto/authority.h"
#include "crypto/certificate.h"
#include "crypto/encoding.h"
#include "operator_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;
namespace fs = std::filesystem;
namespace resources = kube::resources;
using std::chrono::seconds;

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class RotationTest : public OperatorTest {
 protected:
  void SetUp() override {
    OperatorTest::SetUp();
    work_ = cluster_paths().binary_dir / "it" / ("rotation-" + namespace_);
    fs::create_directories(work_);
    std::ofstream(work_ / "request.txt") << "GET / HTTP/1.0\r\n\r\n";
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(work_, ignored);
    OperatorTest::TearDown();
  }

  std::string profile_yaml(const std::string& name, const std::string& nf_type) {
    return "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: " + name +
           "\nspec:\n  nfType: " + nf_type + "\n  selector:\n    matchLabels: {app: " + name +
           "}\n  trustDomainRef:\n    name: " + trust_domain_ + "\n";
  }
  Json domain() { return client_->get(resources::trust_domains(), "", trust_domain_); }
  Json status() { return domain().value("status", Json::object()); }
  Json rotation() { return status().value("rotation", Json::object()); }
  std::string phase() { return rotation().value("phase", std::string{}); }
  bool domain_condition(const std::string& type, const std::string& value,
                        const std::string& reason) {
    for (const auto& c : status().value("conditions", Json::array())) {
      if (c["type"] == type) return c["status"] == value && c["reason"] == reason;
    }
    return false;
  }
  bool has_event(const std::string& reason) {
    kube::ListOptions options;
    options.field_selector =
        "involvedObject.uid=" + domain()["metadata"]["uid"].get<std::string>() +
        ",reason=" + reason;
    return !client_->list(resources::events(), "default", options).items.empty();
  }
  static std::set<std::string> fingerprints(const std::string& pem) {
    std::set<std::string> out;
    try {
      for (const auto& c : crypto::Certificate::parse_chain(pem))
        out.insert(c.sha256_fingerprint());
    } catch (const std::exception&) {
    }
    return out;
  }
  std::set<std::string> secret_bundle(const std::string& name) {
    try {
      return fingerprints(decode(secret(name), "ca.crt"));
    } catch (const std::exception&) {
      return {};
    }
  }
  std::set<std::string> config_map_bundle() {
    try {
      return fingerprints(config_map(trust_domain_ + "-ca")["data"]["ca.crt"].get<std::string>());
    } catch (const std::exception&) {
      return {};
    }
  }
  // Every bundle of the domain (the three profiles' ca.crt and the namespace's ConfigMap).
  bool bundles_are(const std::set<std::string>& expected) {
    for (const auto& p : kProfiles) {
      if (secret_bundle(p + "-tls") != expected) return false;
    }
    return config_map_bundle() == expected;
  }
  bool leaves_issued_by(const crypto::Certificate& ca) {
    for (const auto& p : kProfiles) {
      try {
        if (!crypto::Certificate::parse_chain(decode(secret(p + "-tls"), "tls.crt"))
                 .front()
                 .issued_by(ca))
          return false;
      } catch (const std::exception&) {
        return false;
      }
    }
    return true;
  }
  crypto::Certificate key_pair_certificate(const std::string& name) {
    return crypto::Certificate::from_pem(decode(secret(name), "tls.crt"));
  }
  std::string key_pair_name() const { return trust_domain_ + "-ca-keypair"; }
  std::string next_key_pair_name() const { return key_pair_name() + "-next"; }
  bool waits_for(const std::string& name) {
    const auto r = rotation();
    for (const auto& item : r.value("waitingFor", Json::array())) {
      if (item == name) return true;
    }
    return false;
  }

  // Writes a profile's issued leaf, key and bundle as files for openssl.
  struct Party {
    fs::path certificate, key, bundle;
  };
  Party party(const std::string& profile, const std::string& label) {
    const auto s = secret(profile + "-tls");
    Party p{work_ / (label + "-" + profile + ".crt"), work_ / (label + "-" + profile + ".key"),
            work_ / (label + "-" + profile + "-ca.crt")};
    std::ofstream(p.certificate) << decode(s, "tls.crt");
    std::ofstream(p.key) << decode(s, "tls.key");
    std::ofstream(p.bundle) << decode(s, "ca.crt");
    return p;
  }
  // Mutual TLS between two issued leaves: `server` with its ca.crt requires and verifies the
  // client certificate; `client` verifies the server's chain with its own ca.crt.
  ::testing::AssertionResult handshake(const std::string& server, const std::string& client,
                                       const std::string& label) {
    const auto s = party(server, label);
    const auto c = party(client, label);
    ChildProcess process(
        {"/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", s.certificate.string(),
         "-key", s.key.string(), "-CAfile", s.bundle.string(), "-Verify", "1",
         "-verify_return_error", "-naccept", "1", "-www"},
        work_ / (label + "-server.log"));
    int port = 0;
    eventually(
        [&] {
          const auto text = process.log();
          const auto at = text.find("ACCEPT 127.0.0.1:");
          if (at == std::string::npos) return !process.running();
          port = std::stoi(text.substr(at + 17));
          return true;
        },
        seconds(20));
    if (port == 0) return ::testing::AssertionFailure() << label << ": no s_server";
    std::string output;
    const int rc =
        run_command("timeout 30 openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                        " -verify_return_error -CAfile " + quoted(c.bundle.string()) + " -cert " +
                        quoted(c.certificate.string()) + " -key " + quoted(c.key.string()) +
                        " -ign_eof < " + quoted((work_ / "request.txt").string()) + " 2>&1",
                    &output);
    if (rc != 0 || output.find("HTTP/1.0 200 ok") == std::string::npos) {
      return ::testing::AssertionFailure()
             << label << ": " << client << " -> " << server << " failed (rc " << rc << ")\n"
             << output << "\nserver:\n"
             << process.log();
    }
    return ::testing::AssertionSuccess();
  }
  ::testing::AssertionResult handshakes(const std::string& label) {
    auto first = handshake("nf1", "nf2", label + "-a");
    if (!first) return first;
    return handshake("nf3", "nf1", label + "-b");
  }

  // A Secret of the domain that no profile owns (as an NF's object that is slower): it holds
  // a phase open until the test removes it.
  void create_stray(const std::string& name, const Json& data) {
    client_->create(resources::secrets(), namespace_,
                    {{"apiVersion", "v1"},
                     {"kind", "Secret"},
                     {"metadata",
                      {{"name", name},
                       {"labels",
                        {{"app.kubernetes.io/managed-by", "secprov"},
                         {"secprov.io/trust-domain", trust_domain_}}}}},
                     {"data", data}});
  }

  // The ownership marks of the next key pair: managed-by and the TrustDomain as controller.
  bool marked_as_domains(const Json& object) {
    const auto labels = object["metadata"].value("labels", Json::object());
    if (labels.value("app.kubernetes.io/managed-by", "") != "secprov") return false;
    const std::string uid = domain()["metadata"]["uid"];
    for (const auto& r : object["metadata"].value("ownerReferences", Json::array())) {
      if (r.value("kind", "") == "TrustDomain" && r.value("uid", "") == uid &&
          r.value("controller", false) && r.value("blockOwnerDeletion", false)) {
        return true;
      }
    }
    return false;
  }
  std::string condition_message(const std::string& type) {
    for (const auto& c : status().value("conditions", Json::array())) {
      if (c["type"] == type) return c.value("message", "");
    }
    return {};
  }
  static crypto::CertificateAuthority some_ca(const std::string& name) {
    return crypto::CertificateAuthority::create_self_signed(
        crypto::KeyAlgorithm::EcdsaP256,
        {.country = "FR", .organization = name, .organizational_unit = {}, .common_name = name},
        std::chrono::hours(24 * 365), std::chrono::system_clock::now());
  }
  // A Secret of the next key pair's name that the operator did not write.
  Json next_key_pair_look_alike(const crypto::CertificateAuthority& ca, const Json& labels,
                                const std::string& token) {
    Json metadata = {{"name", next_key_pair_name()}, {"namespace", namespace_}};
    if (!labels.empty()) metadata["labels"] = labels;
    if (!token.empty()) metadata["annotations"] = {{"secprov.io/replace-ca", token}};
    return {{"apiVersion", "v1"},
            {"kind", "Secret"},
            {"type", "kubernetes.io/tls"},
            {"metadata", metadata},
            {"data",
             {{"tls.crt", crypto::base64_encode(ca.certificate().to_pem())},
              {"tls.key", crypto::base64_encode(ca.key().to_pkcs8_pem())}}}};
  }
  // A TrustDomain and an operator; the fingerprint of the domain's first CA once accepted.
  std::string domain_with_first_ca() {
    create_trust_domain();
    start_operator("op");
    EXPECT_TRUE(eventually([&] { return !status().value("caFingerprint", "").empty(); }))
        << status().dump(2) << operators_[0]->log();
    return status().value("caFingerprint", "");
  }
  // The foreign Secret stays as it was, the rotation does not start, and it says why.
  void expect_refused(const Json& before, const std::string& accepted) {
    EXPECT_TRUE(eventually([&] {
      return domain_condition("Rotating", "False", "NextCaSecretNotOwned");
    })) << status().dump(2)
        << operators_[0]->log();
    EXPECT_NE(condition_message("Rotating")
                  .find("Secret " + namespace_ + "/" + next_key_pair_name() + " is not"),
              std::string::npos)
        << condition_message("Rotating");
    EXPECT_TRUE(eventually([&] { return has_event("NextCaSecretNotOwned"); }));
    const auto after = secret(next_key_pair_name());
    EXPECT_EQ(after["metadata"]["resourceVersion"], before["metadata"]["resourceVersion"]);
    EXPECT_EQ(after["metadata"]["uid"], before["metadata"]["uid"]);
    EXPECT_EQ(after["data"], before["data"]);
    EXPECT_EQ(after["metadata"].value("labels", Json::object()),
              before["metadata"].value("labels", Json::object()));
    EXPECT_FALSE(after["metadata"].contains("ownerReferences"));
    EXPECT_EQ(status()["caFingerprint"], accepted);
    EXPECT_FALSE(status().contains("rotation")) << status().dump(2);
    EXPECT_EQ(key_pair_certificate(key_pair_name()).sha256_fingerprint(), accepted);
  }

  const std::vector<std::string> kProfiles = {"nf1", "nf2", "nf3"};
  fs::path work_;
};

TEST_F(RotationTest, StagedRotationKeepsEveryPairTrustedAndResumesAfterKill) {
  create_trust_domain();
  start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("nf1", "AMF") + "---\n" + profile_yaml("nf2", "AMF") + "---\n" +
                       profile_yaml("nf3", "AMF")),
            0);
  for (const auto& p : kProfiles) {
    ASSERT_TRUE(eventually([&] { return profile_condition(p, "Ready", "True"); }, seconds(60)))
        << p << "\n"
        << operators_[0]->log();
  }
  const std::string old_fp = status()["caFingerprint"];
  const auto old_ca = crypto::CertificateAuthority::load(decode(secret(key_pair_name()), "tls.crt"),
                                                         decode(secret(key_pair_name()), "tls.key"),
                                                         std::chrono::system_clock::now());
  ASSERT_TRUE(eventually([&] { return bundles_are({old_fp}); })) << status().dump(2);
  EXPECT_TRUE(handshakes("before"));

  // Two objects of the domain that nobody updates: a bundle with the old CA only (holds
  // Distributing) and a leaf of the old CA (holds Reissuing).
  create_stray("hold-bundle", {{"ca.crt", crypto::base64_encode(old_ca.certificate().to_pem())}});
  const auto stray_key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
  crypto::CertificateTemplate request;
  request.subject = {
      .country = "FR", .organization = "stray", .organizational_unit = {}, .common_name = {}};
  request.dns_names = {"stray.example.org"};
  request.not_before = std::chrono::system_clock::now();
  request.not_after = request.not_before + std::chrono::hours(24);
  const auto stray_leaf = old_ca.sign(crypto::CertificateSigningRequest::create(stray_key, request),
                                      request, std::chrono::system_clock::now());
  create_stray("hold-leaf", {{"tls.crt", crypto::base64_encode(stray_leaf.to_pem())},
                             {"tls.key", crypto::base64_encode(stray_key.to_pkcs8_pem())}});

  // ---- Distributing: the new CA joins every bundle; the old one still issues.
  ASSERT_EQ(kubectl("annotate trustdomain " + trust_domain_ + " secprov.io/replace-ca=rot1"), 0);
  ASSERT_TRUE(eventually([&] { return phase() == "Distributing"; }))
      << status().dump(2) << operators_[0]->log();
  const std::string new_fp = rotation()["newCAFingerprint"];
  ASSERT_NE(new_fp, old_fp);
  EXPECT_EQ(rotation()["oldCAFingerprint"], old_fp);
  EXPECT_EQ(rotation()["token"], "rot1");
  EXPECT_TRUE(eventually(
      [&] {
        return bundles_are({old_fp, new_fp});
      },
      seconds(60)))
      << status().dump(2);
  EXPECT_TRUE(eventually([&] {
    return waits_for("Secret " + namespace_ + "/hold-bundle") &&
           rotation().value("waitingCount", 0) == 1;
  })) << rotation().dump(2);
  EXPECT_EQ(status()["caFingerprint"], old_fp) << "the old CA still issues";
  EXPECT_EQ(key_pair_certificate(key_pair_name()).sha256_fingerprint(), old_fp);
  EXPECT_EQ(key_pair_certificate(next_key_pair_name()).sha256_fingerprint(), new_fp);
  EXPECT_TRUE(marked_as_domains(secret(next_key_pair_name())))
      << secret(next_key_pair_name())["metadata"].dump(2);
  EXPECT_TRUE(leaves_issued_by(old_ca.certificate()));
  EXPECT_TRUE(domain_condition("Rotating", "True", "Distributing")) << status().dump(2);
  EXPECT_TRUE(eventually([&] { return has_event("RotationDistributing"); }));
  EXPECT_TRUE(handshakes("distributing"));

  // A second token during the rotation is refused with a reason, and spent.
  ASSERT_EQ(
      kubectl("annotate --overwrite trustdomain " + trust_domain_ + " secprov.io/replace-ca=rot2"),
      0);
  EXPECT_TRUE(eventually([&] { return has_event("RotationInProgress"); })) << status().dump(2);
  EXPECT_EQ(status()["caReplacementToken"], "rot2");
  EXPECT_EQ(rotation()["token"], "rot1");
  EXPECT_EQ(phase(), "Distributing");

  // ---- Reissuing: the last bundle carries the new CA; it becomes the issuer.
  client_->remove(resources::secrets(), namespace_, "hold-bundle");
  ASSERT_TRUE(eventually([&] { return phase() == "Reissuing"; }, seconds(60)))
      << status().dump(2) << operators_[0]->log();
  const auto new_ca = key_pair_certificate(key_pair_name());
  EXPECT_EQ(new_ca.sha256_fingerprint(), new_fp);
  EXPECT_EQ(status()["caFingerprint"], new_fp);
  EXPECT_TRUE(eventually([&] { return leaves_issued_by(new_ca); }, seconds(60)))
      << operators_[0]->log();
  EXPECT_TRUE(bundles_are({old_fp, new_fp})) << "the old CA is still trusted";
  EXPECT_TRUE(eventually([&] {
    return waits_for("Secret " + namespace_ + "/hold-leaf") &&
           rotation().value("waitingCount", 0) == 1;
  })) << rotation().dump(2);
  EXPECT_TRUE(domain_condition("Rotating", "True", "Reissuing"));
  EXPECT_TRUE(eventually([&] { return has_event("RotationReissuing"); }));
  EXPECT_TRUE(handshakes("reissuing"));

  // ---- kill -9 in the middle phase; a new process resumes from status and Secrets.
  operators_[0]->signal(SIGKILL);
  operators_[0]->wait_for(seconds(5));
  const auto second = start_operator("op-again");
  EXPECT_TRUE(eventually([&] {
    return metric(second, "controller_runtime_reconcile_total", "controller=\"trustdomain\"") > 0;
  })) << operators_[second]->log();
  EXPECT_EQ(phase(), "Reissuing") << status().dump(2);
  EXPECT_EQ(status()["caFingerprint"], new_fp);
  EXPECT_TRUE(bundles_are({old_fp, new_fp}));
  EXPECT_TRUE(handshakes("resumed"));

  // ---- Retiring, then Complete: the last leaf of the old CA goes.
  client_->remove(resources::secrets(), namespace_, "hold-leaf");
  ASSERT_TRUE(eventually([&] { return phase() == "Complete"; }, seconds(60)))
      << status().dump(2) << operators_[second]->log();
  EXPECT_TRUE(eventually([&] { return has_event("RotationRetiring"); }));
  EXPECT_TRUE(eventually([&] { return has_event("RotationComplete"); }));
  EXPECT_TRUE(eventually([&] { return bundles_are({new_fp}); }, seconds(60))) << status().dump(2);
  EXPECT_FALSE(status().contains("previousCAs")) << status().dump(2);
  EXPECT_TRUE(domain_condition("Rotating", "False", "RotationComplete"));
  EXPECT_TRUE(eventually([&] { return gone(resources::secrets(), next_key_pair_name()); }));
  EXPECT_TRUE(leaves_issued_by(new_ca));
  EXPECT_TRUE(handshakes("complete"));
  // The refused token started nothing.
  EXPECT_EQ(status()["caFingerprint"], new_fp);
  EXPECT_EQ(rotation()["token"], "rot1");
}

// A Secret of the next key pair's name that looks like an earlier rotation's leftover (the
// domain's label, a replace-ca token) but is not the TrustDomain's: the operator used to PUT
// its own CA over it. It is left as it is, the rotation waits with the reason, and starts
// with a key pair of its own once the Secret is gone.
TEST_F(RotationTest, AForeignNextKeyPairSecretIsNeverTouched) {
  const std::string accepted = domain_with_first_ca();
  const auto foreign_ca = some_ca("foreign");
  const auto before = client_->create(
      resources::secrets(), namespace_,
      next_key_pair_look_alike(foreign_ca, {{"secprov.io/trust-domain", trust_domain_}}, "rot0"));

  ASSERT_EQ(kubectl("annotate trustdomain " + trust_domain_ + " secprov.io/replace-ca=rot1"), 0);
  expect_refused(before, accepted);

  client_->remove(resources::secrets(), namespace_, next_key_pair_name());
  ASSERT_TRUE(
      eventually([&] { return phase() == "Distributing" || phase() == "Complete"; }, seconds(90)))
      << status().dump(2) << operators_[0]->log();
  EXPECT_NE(rotation()["newCAFingerprint"], foreign_ca.certificate().sha256_fingerprint());
  EXPECT_EQ(rotation()["token"], "rot1");
  // Its own next key pair carries the marks, and goes at Complete.
  ASSERT_TRUE(eventually([&] { return phase() == "Complete"; }, seconds(60))) << status().dump(2);
  EXPECT_TRUE(eventually([&] { return gone(resources::secrets(), next_key_pair_name()); }));
  EXPECT_FALSE(domain_condition("Rotating", "False", "NextCaSecretNotOwned"));
}

// The same name taken by a Secret without any label: the CA cache never sees it, so the
// create meets it (AlreadyExists); it is looked at, found foreign, and left alone.
TEST_F(RotationTest, AnUnlabelledSecretOfTheNextKeyPairsNameIsNeverTouched) {
  const std::string accepted = domain_with_first_ca();
  const auto before = client_->create(resources::secrets(), namespace_,
                                      next_key_pair_look_alike(some_ca("unlabelled"), {}, ""));
  ASSERT_EQ(kubectl("annotate trustdomain " + trust_domain_ + " secprov.io/replace-ca=rot1"), 0);
  expect_refused(before, accepted);
}

// A rotation started by a version that did not mark the next key pair: the Secret carries the
// domain's label and this rotation's token and was written by the operator's field manager.
// It is adopted (marked, its key pair unchanged) and the rotation completes with its CA.
TEST_F(RotationTest, AnEarlierVersionsNextKeyPairIsAdoptedAndTheRotationCompletes) {
  const std::string old_fp = domain_with_first_ca();
  const auto earlier = some_ca("earlier");
  kube::ApplyOptions as_operator;
  as_operator.field_manager = "secprov-operator";
  const auto written = client_->apply(
      resources::secrets(), namespace_,
      next_key_pair_look_alike(earlier, {{"secprov.io/trust-domain", trust_domain_}}, "rotA"),
      as_operator);
  // A bundle with the old CA only (in the namespace of a profile of the domain, where the
  // gates look) holds Distributing, so the adopted Secret can be looked at.
  ASSERT_EQ(apply_yaml(profile_yaml("nf1", "AMF")), 0);
  ASSERT_TRUE(eventually([&] { return profile_condition("nf1", "Ready", "True"); }, seconds(60)))
      << operators_[0]->log();
  create_stray("hold-bundle",
               {{"ca.crt", crypto::base64_encode(key_pair_certificate(key_pair_name()).to_pem())}});
  ASSERT_EQ(kubectl("annotate trustdomain " + trust_domain_ + " secprov.io/replace-ca=rotA"), 0);
  ASSERT_TRUE(eventually([&] { return phase() == "Distributing"; }, seconds(60)))
      << status().dump(2) << operators_[0]->log();
  EXPECT_EQ(rotation()["newCAFingerprint"], earlier.certificate().sha256_fingerprint());
  EXPECT_EQ(rotation()["oldCAFingerprint"], old_fp);
  const auto adopted = secret(next_key_pair_name());
  EXPECT_TRUE(marked_as_domains(adopted)) << adopted["metadata"].dump(2);
  EXPECT_EQ(adopted["data"], written["data"]) << "adopted as it is";

  client_->remove(resources::secrets(), namespace_, "hold-bundle");
  ASSERT_TRUE(eventually([&] { return phase() == "Complete"; }, seconds(60)))
      << status().dump(2) << operators_[0]->log();
  EXPECT_EQ(status()["caFingerprint"], earlier.certificate().sha256_fingerprint());
  EXPECT_EQ(key_pair_certificate(key_pair_name()).sha256_fingerprint(),
            earlier.certificate().sha256_fingerprint());
  EXPECT_TRUE(eventually([&] { return gone(resources::secrets(), next_key_pair_name()); }));
}

}  // namespace
}  // namespace secprov::testing
