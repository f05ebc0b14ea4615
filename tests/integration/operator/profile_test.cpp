// SecurityProfiles end to end: applied with kubectl, reconciled by secprov-operator against
// the real control plane, validated like cert-manager's e2e suite.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>

#include "api/time.h"
#include "crypto/authority.h"
#include "crypto/certificate.h"
#include "crypto/encoding.h"
#include "operator_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;
namespace resources = kube::resources;

class ProfileTest : public OperatorTest {
 protected:
  std::string profile_yaml(const std::string& name, const std::string& extra_spec = {}) {
    return "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: " + name +
           "\nspec:\n  nfType: AMF\n  selector:\n    matchLabels: {app: nf}\n  nfInstanceId: "
           "6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31\n"
           "  trustDomainRef:\n    name: " +
           trust_domain_ + "\n" + extra_spec;
  }
  bool ready(const std::string& name) { return profile_condition(name, "Ready", "True"); }
};

TEST_F(ProfileTest, IssuesACertificateThatValidatesLikeCertManagersE2E) {
  create_trust_domain();
  start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("amf",
                                    "  sbi:\n    tls:\n      certificate:\n"
                                    "        keyAlgorithm: ECDSA-P384\n"
                                    "        extraDnsNames: [amf.5gc.example.org]\n"
                                    "  outputs:\n    open5gs: true\n")),
            0);
  std::string output;
  ASSERT_EQ(
      kubectl("wait --for=condition=Ready --timeout=60s -n " + namespace_ + " securityprofile/amf",
              &output),
      0)
      << output << operators_[0]->log();

  const auto object = profile("amf");
  const auto tls = secret("amf-tls");
  EXPECT_EQ(tls["type"], "kubernetes.io/tls");
  const auto chain = crypto::Certificate::parse_chain(decode(tls, "tls.crt"));
  const auto roots = crypto::Certificate::parse_chain(decode(tls, "ca.crt"));
  ASSERT_FALSE(chain.empty());
  ASSERT_EQ(roots.size(), 1u);
  const auto& leaf = chain.front();
  EXPECT_EQ(crypto::verify_chain(leaf, {}, roots, std::chrono::system_clock::now()), std::nullopt);
  EXPECT_EQ(leaf.uris(), std::vector<std::string>{"urn:uuid:6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31"});
  const auto dns = leaf.dns_names();
  EXPECT_NE(std::find(dns.begin(), dns.end(), "amf." + namespace_ + ".svc"), dns.end());
  EXPECT_NE(std::find(dns.begin(), dns.end(), "amf." + namespace_ + ".svc.cluster.local"),
            dns.end());
  EXPECT_NE(std::find(dns.begin(), dns.end(), "amf.5gc.example.org"), dns.end());
  EXPECT_FALSE(leaf.san_critical());  // RFC 5280 4.2.1.6: the subject is not empty
  EXPECT_EQ(leaf.key_algorithm(), crypto::KeyAlgorithm::EcdsaP384);
  EXPECT_EQ(leaf.subject().country, "FR");
  EXPECT_EQ(leaf.public_key_sha256(),
            crypto::PrivateKey::from_pem(decode(tls, "tls.key")).public_key_sha256());
  const auto& status = object["status"];
  EXPECT_EQ(
      status["certificate"]["notAfter"],
      api::format_rfc3339(std::chrono::time_point_cast<std::chrono::seconds>(leaf.not_after())));
  EXPECT_EQ(status["certificate"]["serialNumber"], leaf.serial_hex());
  EXPECT_EQ(status["nfInstanceId"], "6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31");
  const auto settings = config_map("amf-security");
  EXPECT_TRUE(settings["data"].contains("security.yaml"));
  EXPECT_TRUE(settings["data"].contains("open5gs.yaml"));
  // The trust bundle of the namespace.
  EXPECT_EQ(config_map(trust_domain_ + "-ca")["data"]["ca.crt"], decode(tls, "ca.crt"));
  // No key material in status.
  EXPECT_EQ(object["status"].dump().find("PRIVATE KEY"), std::string::npos);
}

TEST_F(ProfileTest, EnforceRepairsEditedRemovedAndDeletedObjectsAndKeepsForeignKeys) {
  create_trust_domain();
  start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("smf")), 0);
  ASSERT_TRUE(eventually([&] { return ready("smf"); }, std::chrono::seconds(60)))
      << operators_[0]->log();

  // A foreign key added by another tool survives everything below.
  client_->merge_patch(resources::config_maps(), namespace_, "smf-security",
                       {{"data", {{"team-note", "keep me"}}}});
  // Edit a managed key: repaired.
  client_->merge_patch(resources::config_maps(), namespace_, "smf-security",
                       {{"data", {{"security.yaml", "tampered"}}}});
  EXPECT_TRUE(eventually([&] {
    return config_map("smf-security")["data"]["security.yaml"] != "tampered";
  })) << operators_[0]->log();
  EXPECT_EQ(config_map("smf-security")["data"]["team-note"], "keep me");

  // Replace the private key (a kubernetes.io/tls Secret cannot lose it): a new key and
  // certificate are issued.
  const auto before = secret("smf-tls");
  client_->merge_patch(resources::secrets(), namespace_, "smf-tls",
                       {{"data", {{"tls.key", crypto::base64_encode("tampered")}}}});
  EXPECT_TRUE(eventually([&] {
    const auto now = secret("smf-tls");
    return now["data"]["tls.key"] != crypto::base64_encode("tampered") &&
           now["data"]["tls.crt"] != before["data"]["tls.crt"];
  })) << operators_[0]->log();
  const auto repaired = secret("smf-tls");
  EXPECT_EQ(
      crypto::Certificate::parse_chain(decode(repaired, "tls.crt")).front().public_key_sha256(),
      crypto::PrivateKey::from_pem(decode(repaired, "tls.key")).public_key_sha256());

  // Delete the ConfigMap: recreated.
  client_->remove(resources::config_maps(), namespace_, "smf-security");
  EXPECT_TRUE(eventually([&] { return !gone(resources::config_maps(), "smf-security"); }));

  // The findings are recorded as repaired.
  EXPECT_TRUE(eventually([&] {
    const auto findings = profile("smf")["status"].value("driftFindings", Json::array());
    return findings.size() >= 3 && findings[0]["action"] == "Repaired";
  })) << profile("smf")["status"].dump(2);
  EXPECT_TRUE(eventually([&] { return profile_without_condition("smf", "Drifted"); }));
}

TEST_F(ProfileTest, ReportLeavesDriftAndSaysSo) {
  create_trust_domain();
  start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("nrf", "  driftPolicy: Report\n")), 0);
  ASSERT_TRUE(eventually([&] { return ready("nrf"); }, std::chrono::seconds(60)))
      << operators_[0]->log();
  client_->merge_patch(resources::config_maps(), namespace_, "nrf-security",
                       {{"data", {{"security.yaml", "tampered"}}}});
  EXPECT_TRUE(eventually([&] { return profile_condition("nrf", "Drifted", "True"); }))
      << profile("nrf")["status"].dump(2);
  EXPECT_EQ(config_map("nrf-security")["data"]["security.yaml"], "tampered");
  const auto findings = profile("nrf")["status"]["driftFindings"];
  ASSERT_FALSE(findings.empty());
  EXPECT_EQ(findings[0]["field"], "data.security.yaml");
  EXPECT_EQ(findings[0]["action"], "Reported");
  std::string events;
  kubectl("get events -n " + namespace_ + " --field-selector reason=DriftDetected -o name",
          &events);
  EXPECT_FALSE(events.empty()) << "no DriftDetected warning Event";
}

TEST_F(ProfileTest, MissingTrustDomainStallsThenRecoversWhenCreated) {
  start_operator("op");
  trust_domain_ = "td-late-" + namespace_.substr(0, 40);
  ASSERT_EQ(apply_yaml(profile_yaml("ausf")), 0);
  EXPECT_TRUE(eventually([&] { return profile_condition("ausf", "Stalled", "True"); }))
      << operators_[0]->log();
  EXPECT_TRUE(gone(resources::secrets(), "ausf-tls"));
  const auto stalled = profile("ausf");
  bool names_domain = false;
  for (const auto& c : stalled["status"]["conditions"]) {
    if (c["type"] == "Ready") names_domain = c["reason"] == "TrustDomainNotFound";
  }
  EXPECT_TRUE(names_domain) << stalled["status"].dump(2);

  std::string output;
  ASSERT_EQ(apply_yaml("apiVersion: secprov.io/v1alpha1\nkind: TrustDomain\nmetadata:\n  name: " +
                           trust_domain_ +
                           "\nspec:\n  domain: 5gc.example.org\n  country: FR\n"
                           "  ca:\n    generate: {}\n",
                       &output),
            0)
      << output;
  EXPECT_TRUE(eventually([&] { return ready("ausf"); }, std::chrono::seconds(60)))
      << operators_[0]->log();
}

TEST_F(ProfileTest, RestartReissuesNothingThatIsStillValid) {
  create_trust_domain();
  start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("udm")), 0);
  ASSERT_TRUE(eventually([&] { return ready("udm"); }, std::chrono::seconds(60)));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // let the last status write land
  const auto tls_version = secret("udm-tls")["metadata"]["resourceVersion"];
  const auto cm_version = config_map("udm-security")["metadata"]["resourceVersion"];
  const auto profile_version = profile("udm")["metadata"]["resourceVersion"];

  operators_[0]->signal(SIGKILL);
  operators_[0]->wait_for(std::chrono::seconds(5));
  const auto second = start_operator("op-again");
  ASSERT_TRUE(eventually([&] {
    return metric(second, "controller_runtime_reconcile_total", "controller=\"securityprofile\"") >
           0;
  }));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(secret("udm-tls")["metadata"]["resourceVersion"], tls_version);
  EXPECT_EQ(config_map("udm-security")["metadata"]["resourceVersion"], cm_version);
  EXPECT_EQ(profile("udm")["metadata"]["resourceVersion"], profile_version);
}

TEST_F(ProfileTest, DeletionDeletesOrRetainsPerPolicy) {
  create_trust_domain();
  start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("pcf")), 0);
  ASSERT_EQ(apply_yaml(profile_yaml("nef", "  deletionPolicy: Retain\n")), 0);
  ASSERT_TRUE(eventually([&] { return ready("pcf") && ready("nef"); }, std::chrono::seconds(60)));

  std::string output;
  ASSERT_EQ(kubectl("delete -n " + namespace_ + " securityprofile pcf nef --timeout=60s", &output),
            0)
      << output;
  EXPECT_TRUE(eventually([&] {
    return gone(resources::secrets(), "pcf-tls") && gone(resources::config_maps(), "pcf-security");
  }));
  const auto retained = secret("nef-tls");
  EXPECT_FALSE(retained["metadata"].contains("ownerReferences") &&
               !retained["metadata"]["ownerReferences"].empty());
  // Kept in use: its revocation finalizer went with its owner reference.
  EXPECT_FALSE(retained["metadata"].contains("finalizers") &&
               !retained["metadata"]["finalizers"].empty())
      << retained["metadata"].dump();
  EXPECT_FALSE(gone(resources::config_maps(), "nef-security"));
  // No profile uses the trust domain in this namespace any more: its bundle goes.
  EXPECT_TRUE(eventually([&] { return gone(resources::config_maps(), trust_domain_ + "-ca"); }));
}

// An orphaned certificate Secret (what `kubectl delete --cascade=orphan` leaves: no owner
// reference) stays in use, so once its profile is gone its revocation finalizer is let go:
// nothing would remove it at a later deletion, and its certificate is not revoked. Orphaned by
// hand while the operator is down, since the garbage collector deletes a dependent it has not
// yet seen instead of orphaning it (seen once here).
TEST_F(ProfileTest, AnOrphanedCertificateSecretIsLetGoOnceItsProfileIsGone) {
  create_trust_domain();
  start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("udr")), 0);
  ASSERT_TRUE(eventually([&] { return ready("udr"); }, std::chrono::seconds(60)))
      << operators_[0]->log();
  ASSERT_EQ(secret("udr-tls")["metadata"]["finalizers"], Json::array({"secprov.io/revoke"}));
  operators_[0]->signal(SIGTERM);
  ASSERT_TRUE(operators_[0]->wait_for(std::chrono::seconds(15)).has_value());
  client_->merge_patch(resources::secrets(), namespace_, "udr-tls",
                       {{"metadata", {{"ownerReferences", nullptr}}}});
  client_->remove(resources::security_profiles(), namespace_, "udr");

  start_operator("op");
  EXPECT_TRUE(eventually([&] {
    return secret("udr-tls")["metadata"].value("finalizers", Json::array()).empty();
  })) << secret("udr-tls")["metadata"].dump()
      << operators_[1]->log();
  // Deleting it now is not held.
  client_->remove(resources::secrets(), namespace_, "udr-tls");
  EXPECT_TRUE(eventually([&] { return gone(resources::secrets(), "udr-tls"); }));
}

TEST_F(ProfileTest, TheSchemaRejectsEachInvalidSampleNamingTheField) {
  const std::map<std::string, std::string> expected_field = {
      {"tls-1.1.yaml", "minVersion"},          {"cbc-suite.yaml", "tls12CipherSuites"},
      {"rsa-1024.yaml", "keyAlgorithm"},       {"duration-4y.yaml", "duration"},
      {"renew-not-below.yaml", "renewBefore"}, {"bad-uuid.yaml", "nfInstanceId"},
      {"unknown-nftype.yaml", "nfType"},       {"n32-on-amf.yaml", "n32"},
      {"unknown-field.yaml", "unknown field"}};
  const auto dir = cluster_paths().source_dir / "deploy" / "samples" / "invalid";
  for (const auto& [file, field] : expected_field) {
    std::string output;
    // The samples name namespace 5gc; the test's own namespace is used instead.
    const int rc = run_command("sed '/^  namespace:/d' " + (dir / file).string() + " | " +
                                   cluster_paths().kubectl.string() + " --kubeconfig " +
                                   cluster_paths().admin_kubeconfig.string() +
                                   " apply --validate=strict -n " + namespace_ + " -f -",
                               &output);
    EXPECT_NE(rc, 0) << file << " was accepted";
    EXPECT_NE(output.find(field), std::string::npos) << file << ": " << output;
  }
}

TEST_F(ProfileTest, RenewsBeforeExpiryAndRotationNeverKeepsTheKey) {
  create_trust_domain();
  start_operator("op");
  // Renewal is due 10 s after issuance: notAfter (1 h) minus renewBefore (59m50s).
  const std::string short_lived =
      "  sbi:\n    tls:\n      certificate:\n        duration: 1h\n        renewBefore: 59m50s\n";
  ASSERT_EQ(apply_yaml(profile_yaml("rotating", short_lived)), 0);
  ASSERT_EQ(apply_yaml(profile_yaml("keeping", short_lived + "        rotationPolicy: Never\n")),
            0);
  ASSERT_TRUE(
      eventually([&] { return ready("rotating") && ready("keeping"); }, std::chrono::seconds(60)))
      << operators_[0]->log();
  const auto leaf_of = [&](const std::string& name) {
    return crypto::Certificate::parse_chain(decode(secret(name + "-tls"), "tls.crt")).front();
  };
  const auto rotating_before = leaf_of("rotating");
  const auto keeping_before = leaf_of("keeping");

  ASSERT_TRUE(eventually(
      [&] {
        return leaf_of("rotating").serial_hex() != rotating_before.serial_hex() &&
               leaf_of("keeping").serial_hex() != keeping_before.serial_hex();
      },
      std::chrono::seconds(60)))
      << "no renewal within a minute\n"
      << operators_[0]->log();
  EXPECT_NE(leaf_of("rotating").public_key_sha256(), rotating_before.public_key_sha256())
      << "rotationPolicy Always must bring a new key";
  EXPECT_EQ(leaf_of("keeping").public_key_sha256(), keeping_before.public_key_sha256())
      << "rotationPolicy Never must keep the key";
  EXPECT_TRUE(eventually([&] {
    return profile("keeping")["status"]["certificate"]["serialNumber"] ==
           leaf_of("keeping").serial_hex();
  }));
  std::string events;
  kubectl("get events -n " + namespace_ + " --field-selector reason=Renewed -o name", &events);
  EXPECT_FALSE(events.empty()) << "no Renewed Event";
}

TEST_F(ProfileTest, AnImportedCaThatIsNotACaStallsAndRecoversWhenFixed) {
  const auto now = std::chrono::system_clock::now();
  const auto root =
      crypto::CertificateAuthority::create_self_signed(crypto::KeyAlgorithm::EcdsaP256,
                                                       {.country = "FR",
                                                        .organization = "imported",
                                                        .organizational_unit = {},
                                                        .common_name = "imported root"},
                                                       std::chrono::hours(24 * 365), now);
  // A leaf certificate (CA:FALSE) with its own key: not usable as a CA.
  const auto leaf_key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
  crypto::CertificateTemplate request;
  request.subject = {
      .country = "FR", .organization = "imported", .organizational_unit = {}, .common_name = {}};
  request.dns_names = {"not-a-ca.example.org"};
  request.not_before = now;
  request.not_after = now + std::chrono::hours(24);
  const auto leaf =
      root.sign(crypto::CertificateSigningRequest::create(leaf_key, request), request, now);
  const auto ca_secret = [&](const crypto::Certificate& cert, const crypto::PrivateKey& key) {
    return Json{
        {"apiVersion", "v1"},
        {"kind", "Secret"},
        {"metadata",
         {{"name", "imported-ca"},
          // An imported CA must be labelled for its trust domain (deploy/README.md).
          {"labels", {{"secprov.io/trust-domain", "td-imported-" + namespace_.substr(0, 40)}}}}},
        {"type", "kubernetes.io/tls"},
        {"data",
         {{"tls.crt", crypto::base64_encode(cert.to_pem())},
          {"tls.key", crypto::base64_encode(key.to_pkcs8_pem())}}}};
  };
  client_->create(resources::secrets(), namespace_, ca_secret(leaf, leaf_key));
  start_operator("op");
  trust_domain_ = "td-imported-" + namespace_.substr(0, 40);
  std::string output;
  ASSERT_EQ(apply_yaml("apiVersion: secprov.io/v1alpha1\nkind: TrustDomain\nmetadata:\n  name: " +
                           trust_domain_ +
                           "\nspec:\n  domain: 5gc.example.org\n  country: FR\n"
                           "  ca:\n    secretRef:\n      name: imported-ca\n",
                       &output),
            0)
      << output;
  ASSERT_EQ(apply_yaml(profile_yaml("udr")), 0);
  const auto domain_stalled = [&] {
    const auto domain = client_->get(resources::trust_domains(), "", trust_domain_);
    for (const auto& c :
         domain.value("status", Json::object()).value("conditions", Json::array())) {
      if (c["type"] == "Stalled" && c["status"] == "True") return c["reason"] == "InvalidCA";
    }
    return false;
  };
  EXPECT_TRUE(eventually(domain_stalled)) << operators_[0]->log();
  EXPECT_TRUE(eventually([&] { return profile_condition("udr", "Stalled", "True"); }));
  EXPECT_TRUE(gone(resources::secrets(), "udr-tls")) << "nothing may be issued from a bad CA";

  auto fixed = ca_secret(root.certificate(), root.key());
  client_->merge_patch(resources::secrets(), namespace_, "imported-ca", {{"data", fixed["data"]}});
  ASSERT_TRUE(eventually([&] { return ready("udr"); }, std::chrono::seconds(60)))
      << operators_[0]->log();
  const auto issued =
      crypto::Certificate::parse_chain(decode(secret("udr-tls"), "tls.crt")).front();
  EXPECT_TRUE(issued.issued_by(root.certificate()));

  // Broken again: the profile stalls, and what it already has is left exactly as it is.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto provisioned = secret("udr-tls")["metadata"]["resourceVersion"];
  client_->merge_patch(resources::secrets(), namespace_, "imported-ca",
                       {{"data", ca_secret(leaf, leaf_key)["data"]}});
  EXPECT_TRUE(eventually([&] { return profile_condition("udr", "Stalled", "True"); }));
  EXPECT_EQ(secret("udr-tls")["metadata"]["resourceVersion"], provisioned);
}

TEST_F(ProfileTest, IpsecWithPreSharedKeysRendersSwanctlAndKeepsKeysAcrossReconciles) {
  create_trust_domain();
  start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("upf",
                                    "  sbi:\n    tls:\n      mode: TLS\n"
                                    "  ipsec:\n    interfaces:\n      - name: N3\n"
                                    "        peers:\n          - name: gnb-1\n"
                                    "            address: 10.10.3.11\n"
                                    "        authentication: PreSharedKey\n"
                                    "        allowPreSharedKey: true\n")),
            0);
  ASSERT_TRUE(eventually([&] { return ready("upf"); }, std::chrono::seconds(60)))
      << operators_[0]->log();
  const auto ipsec = secret("upf-ipsec");
  const std::string swanctl = decode(ipsec, "swanctl.conf");
  EXPECT_NE(swanctl.find("10.10.3.11"), std::string::npos) << swanctl;
  EXPECT_NE(swanctl.find("secrets"), std::string::npos) << swanctl;
  std::vector<std::string> psk_keys;
  for (const auto& [key, value] : ipsec["data"].items()) {
    if (key.rfind("psk-", 0) == 0) psk_keys.push_back(key);
  }
  ASSERT_EQ(psk_keys.size(), 1u);
  EXPECT_GE(decode(ipsec, psk_keys[0]).size(), 32u);

  // A spec change elsewhere re-renders, but the PSK the peer holds stays.
  ASSERT_EQ(apply_yaml(profile_yaml("upf",
                                    "  sbi:\n    tls:\n      mode: TLS\n"
                                    "  outputs:\n    open5gs: true\n"
                                    "  ipsec:\n    interfaces:\n      - name: N3\n"
                                    "        peers:\n          - name: gnb-1\n"
                                    "            address: 10.10.3.11\n"
                                    "        esp:\n          lifetime: 4h\n"
                                    "        authentication: PreSharedKey\n"
                                    "        allowPreSharedKey: true\n")),
            0);
  EXPECT_TRUE(eventually([&] {
    return decode(secret("upf-ipsec"), "swanctl.conf") != swanctl && ready("upf");
  })) << operators_[0]->log();
  // Compared without printing: a PSK.
  EXPECT_TRUE(secret("upf-ipsec")["data"][psk_keys[0]] == ipsec["data"][psk_keys[0]]);
}

TEST_F(ProfileTest, AStrippedLabelIsRepairedUnderEnforce) {
  create_trust_domain();
  start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("bsf")), 0);
  ASSERT_TRUE(eventually([&] { return ready("bsf"); }, std::chrono::seconds(60)));
  // The object leaves the operator's label-selected cache: it must still be found and mended.
  std::string output;
  ASSERT_EQ(
      kubectl("label -n " + namespace_ + " secret bsf-tls app.kubernetes.io/managed-by-", &output),
      0)
      << output;
  EXPECT_TRUE(eventually([&] {
    return secret("bsf-tls")["metadata"]
               .value("labels", Json::object())
               .value("app.kubernetes.io/managed-by", std::string{}) == "secprov";
  })) << operators_[0]->log();
  EXPECT_TRUE(eventually([&] { return ready("bsf"); }));
}

TEST_F(ProfileTest, KillNineMidReconcileThenRestartConvergesWithoutDuplicatesOrReissue) {
  create_trust_domain();
  start_operator("op");
  std::string all;
  for (int i = 0; i < 8; ++i) all += profile_yaml("nf-" + std::to_string(i)) + "---\n";
  ASSERT_EQ(apply_yaml(all), 0);
  // Killed as soon as reconciling has begun (some of the eight may not be issued yet).
  ASSERT_TRUE(eventually([&] { return metric(0, "controller_runtime_reconcile_total") > 0; }));
  operators_[0]->signal(SIGKILL);
  operators_[0]->wait_for(std::chrono::seconds(5));

  start_operator("op-after-crash");
  ASSERT_TRUE(eventually(
      [&] {
        for (int i = 0; i < 8; ++i) {
          if (!ready("nf-" + std::to_string(i))) return false;
        }
        return true;
      },
      std::chrono::seconds(90)))
      << operators_[1]->log();
  kube::ListOptions managed;
  managed.label_selector = "app.kubernetes.io/managed-by=secprov";
  EXPECT_EQ(client_->list(resources::secrets(), namespace_, managed).items.size(), 8u)
      << "one TLS Secret per profile, no duplicates";
  EXPECT_EQ(client_->list(resources::config_maps(), namespace_, managed).items.size(), 9u)
      << "one settings ConfigMap per profile plus the trust bundle";

  std::this_thread::sleep_for(std::chrono::seconds(2));
  std::map<std::string, std::string> versions;
  for (const auto& item : client_->list(resources::secrets(), namespace_, managed).items) {
    versions[item["metadata"]["name"]] = item["metadata"]["resourceVersion"];
  }
  operators_[1]->signal(SIGKILL);
  operators_[1]->wait_for(std::chrono::seconds(5));
  const auto third = start_operator("op-third");
  ASSERT_TRUE(eventually([&] {
    return metric(third, "controller_runtime_reconcile_total", "controller=\"securityprofile\"") >=
           8;
  }));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  for (const auto& item : client_->list(resources::secrets(), namespace_, managed).items) {
    EXPECT_EQ(versions[item["metadata"]["name"]], item["metadata"]["resourceVersion"])
        << item["metadata"]["name"] << " was rewritten although still valid";
  }
}

TEST_F(ProfileTest, KubectlShowsThePrinterColumns) {
  create_trust_domain();
  start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("nssf")), 0);
  ASSERT_TRUE(eventually([&] { return ready("nssf"); }, std::chrono::seconds(60)));
  std::string output;
  ASSERT_EQ(kubectl("get sp -n " + namespace_ + " nssf", &output), 0) << output;
  for (const std::string column : {"NF", "TLS", "READY", "DRIFTED", "EXPIRES", "AGE"}) {
    EXPECT_NE(output.find(column), std::string::npos) << column << " missing:\n" << output;
  }
  const auto not_after = profile("nssf")["status"]["certificate"]["notAfter"].get<std::string>();
  EXPECT_NE(output.find(not_after), std::string::npos) << output;
  EXPECT_NE(output.find("MutualTLS"), std::string::npos) << output;
  EXPECT_EQ(output.find("<invalid>"), std::string::npos) << output;
  ASSERT_EQ(kubectl("get secprov -n " + namespace_, &output), 0) << output;
  EXPECT_NE(output.find("nssf"), std::string::npos) << "category secprov:\n" << output;
}

TEST_F(ProfileTest, GeneratesAnNfInstanceIdOnceAndKeepsIt) {
  create_trust_domain();
  start_operator("op");
  const std::string no_id =
      "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n"
      "  name: scp\nspec:\n  nfType: SCP\n  selector:\n    matchLabels: {app: scp}\n"
      "  trustDomainRef:\n    name: " +
      trust_domain_ + "\n";
  ASSERT_EQ(apply_yaml(no_id), 0);
  ASSERT_TRUE(eventually([&] { return ready("scp"); }, std::chrono::seconds(60)));
  const std::string id = profile("scp")["status"]["nfInstanceId"];
  EXPECT_EQ(id.size(), 36u) << id;
  const auto uris =
      crypto::Certificate::parse_chain(decode(secret("scp-tls"), "tls.crt")).front().uris();
  EXPECT_EQ(uris, std::vector<std::string>{"urn:uuid:" + id});

  // A spec change reissues the certificate with the same NF instance ID.
  const auto serial = profile("scp")["status"]["certificate"]["serialNumber"];
  ASSERT_EQ(apply_yaml(
                no_id +
                "  sbi:\n    tls:\n      certificate:\n        extraDnsNames: [scp.example.org]\n"),
            0);
  ASSERT_TRUE(eventually([&] {
    return profile("scp")["status"]["certificate"]["serialNumber"] != serial && ready("scp");
  }));
  EXPECT_EQ(profile("scp")["status"]["nfInstanceId"], id);
  EXPECT_EQ(crypto::Certificate::parse_chain(decode(secret("scp-tls"), "tls.crt")).front().uris(),
            std::vector<std::string>{"urn:uuid:" + id});
}

}  // namespace
}  // namespace secprov::testing
