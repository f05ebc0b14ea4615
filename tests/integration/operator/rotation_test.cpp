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

}  // namespace
}  // namespace secprov::testing
