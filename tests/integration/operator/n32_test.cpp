// Issue 8 defect 7: N32 trusts each partner SEPP by its own roots (TS 33.501 13.1.2), not by
// the home CA. spec.n32.peers[] names each partner's FQDN, PLMN IDs and trust anchor (a
// ConfigMap or Secret the SEPP pod mounts); the Open5GS rendering points each N32 client and
// the N32 server at that partner's roots, with target_plmn_id and separate N32-f entries. The
// SEPP's certificate covers its telescopic FQDNs (*.<sepp fqdn>, TS 33.501 13.1.1.0) and the
// home root to give partners is the trust bundle ConfigMap. Proven on the wire with openssl
// s_server/s_client over exactly what the operator wrote and the partner's ConfigMap.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "api/securityprofile.h"
#include "crypto/authority.h"
#include "crypto/certificate.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "operator_fixture.h"
#include "render/names.h"
#include "support/samples.h"

namespace secprov::testing {
namespace {

using namespace std::chrono_literals;
using kube::Json;
namespace fs = std::filesystem;

constexpr const char* kSeppFqdn = "sepp.5gc.mnc001.mcc001.3gppnetwork.org";
constexpr const char* kPartnerFqdn = "sepp.5gc.mnc002.mcc002.3gppnetwork.org";
constexpr const char* kPartnerPeer = "mnc002-mcc002";
constexpr const char* kPartnerRoots = "sepp-mnc002-mcc002-roots";  // the sample's reference

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// ChildProcess execs a path: the openssl of PATH.
std::string openssl_binary() {
  const char* env = std::getenv("PATH");
  std::istringstream dirs(env != nullptr ? env : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && fs::exists(fs::path(dir) / "openssl"))
      return (fs::path(dir) / "openssl").string();
  }
  return "/usr/bin/openssl";
}

// The value of the first "<key>: " after `after` in rendered YAML (quotes dropped).
std::string value_after(const std::string& yaml, const std::string& after, const std::string& key) {
  const auto start = yaml.find(after);
  if (start == std::string::npos) return {};
  const auto at = yaml.find(key + ": ", start);
  if (at == std::string::npos) return {};
  const auto begin = at + key.size() + 2;
  std::string value = yaml.substr(begin, yaml.find('\n', begin) - begin);
  std::erase(value, '"');
  return value;
}

struct Party {
  fs::path certificate;
  fs::path key;
};

class N32Test : public OperatorTest {
 protected:
  void SetUp() override {
    OperatorTest::SetUp();
    work_ = cluster_paths().binary_dir / "it" / ("n32-" + namespace_);
    fs::create_directories(work_);
    fs::permissions(work_, fs::perms::owner_all);
  }

  // deploy/samples/sepp.yaml in the test's namespace and trust domain.
  std::string sample() const {
    std::string yaml = read_text(cluster_paths().source_dir / "deploy" / "samples" / "sepp.yaml");
    const std::string ns_line = "  namespace: 5gc\n";
    if (const auto at = yaml.find(ns_line); at != std::string::npos) yaml.erase(at, ns_line.size());
    const std::string td = "    name: mnc001-mcc001\n";
    if (const auto at = yaml.find(td); at != std::string::npos)
      yaml.replace(at, td.size(), "    name: " + trust_domain_ + "\n");
    return yaml;
  }

  // Where a pod mounting the rendered path finds the file: /etc/secprov/... under work_.
  fs::path local(const std::string& rendered) const {
    const std::string prefix = "/etc/secprov/";
    EXPECT_EQ(rendered.rfind(prefix, 0), 0u) << rendered;
    return work_ / "mounts" / rendered.substr(std::min(prefix.size(), rendered.size()));
  }

  // openssl s_server (one connection, client certificate required) and s_client dialing
  // `name` with hostname verification; true when both sides accept.
  struct Outcome {
    bool ok = false;
    std::string log;
  };
  Outcome handshake(const Party& server, const fs::path& server_roots, const Party& client,
                    const fs::path& client_roots, const std::string& name,
                    const std::string& label) {
    ChildProcess s_server(
        {openssl_binary(), "s_server", "-accept", "127.0.0.1:0", "-cert",
         server.certificate.string(), "-key", server.key.string(), "-CAfile", server_roots.string(),
         "-Verify", "1", "-verify_return_error", "-naccept", "1", "-www"},
        work_ / (label + "-server.log"));
    int port = 0;
    eventually(
        [&] {
          const auto text = s_server.log();
          const auto at = text.find("ACCEPT 127.0.0.1:");
          if (at == std::string::npos) return !s_server.running();
          port = std::stoi(text.substr(at + 17));
          return true;
        },
        20s);
    Outcome outcome;
    if (port == 0) {
      outcome.log = "s_server did not listen: " + s_server.log();
      return outcome;
    }
    write_text(work_ / "request", "GET / HTTP/1.0\r\n\r\n");
    const std::string command =
        "timeout 30 openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " -servername " +
        shell_quote(name) + " -verify_hostname " + shell_quote(name) +
        " -verify_return_error -CAfile " + shell_quote(client_roots.string()) + " -cert " +
        shell_quote(client.certificate.string()) + " -key " + shell_quote(client.key.string()) +
        " -ign_eof < " + shell_quote((work_ / "request").string());
    std::string output;
    const int rc = run_command(command, &output);
    eventually([&] {
      const auto text = s_server.log();
      return text.find("server accepts that finished") != std::string::npos ||
             text.find("error") != std::string::npos || !s_server.running();
    });
    outcome.ok = rc == 0 && output.find("Verify return code: 0 (ok)") != std::string::npos &&
                 output.find("HTTP/1.0 200 ok") != std::string::npos;
    outcome.log = output + "\n--- server:\n" + s_server.log();
    return outcome;
  }

  void TearDown() override {
    if (!interconnect_.empty()) kubectl("delete trustdomain " + interconnect_ + " --wait=false");
    OperatorTest::TearDown();
  }

  // The partner operator's CA, its SEPP certificate (its N32 name) under work_/partner, and
  // the roots it gave us in the ConfigMap the sample references.
  Party make_partner() {
    const auto now = std::chrono::system_clock::now();
    const auto partner_ca = crypto::CertificateAuthority::create_self_signed(
        crypto::KeyAlgorithm::EcdsaP256, {"DE", "partner 002-02", "", "partner N32 root"}, 24h * 30,
        now - 1h);
    Party partner{work_ / "partner" / "tls.crt", work_ / "partner" / "tls.key"};
    const auto key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
    crypto::CertificateTemplate identity;
    identity.subject = {"DE", "partner 002-02", "", ""};
    identity.dns_names = {kPartnerFqdn};
    identity.not_before = now - 1min;
    identity.not_after = now + 24h;
    const auto leaf =
        partner_ca.sign(crypto::CertificateSigningRequest::create(key, identity), identity, now);
    write_text(partner.certificate, leaf.to_pem());
    write_text(partner.key, key.to_pkcs8_pem());
    const Json roots = {{"apiVersion", "v1"},
                        {"kind", "ConfigMap"},
                        {"metadata", {{"name", kPartnerRoots}}},
                        {"data", {{"ca.crt", partner_ca.certificate().to_pem()}}}};
    std::string output;
    EXPECT_EQ(apply_yaml(roots.dump(2), &output), 0) << output;
    return partner;
  }

  // The sample with spec.n32.trustDomainRef naming interconnect_ (a name unique to the test).
  std::string interconnect_sample() {
    interconnect_ = ("ic-" + namespace_).substr(0, 60);
    std::string yaml = sample();
    const std::string capability = "    capability: TLS\n";
    const auto at = yaml.find(capability);
    EXPECT_NE(at, std::string::npos) << yaml;
    if (at != std::string::npos) {
      yaml.insert(at + capability.size(),
                  "    trustDomainRef:\n      name: " + interconnect_ + "\n");
    }
    return yaml;
  }

  int create_interconnect() {
    std::string output;
    const int rc = apply_yaml(
        "apiVersion: secprov.io/v1alpha1\nkind: TrustDomain\nmetadata:\n  name: " + interconnect_ +
            "\nspec:\n  domain: ipx.mnc001.mcc001.3gppnetwork.org\n  country: FR\n"
            "  ca:\n    generate:\n      keyAlgorithm: ECDSA-P256\n",
        &output);
    EXPECT_EQ(rc, 0) << output;
    return rc;
  }

  std::string ready_reason(const std::string& name) {
    const auto object = profile(name);
    if (!object.contains("status") || !object["status"].is_object()) return {};
    for (const auto& c : object["status"].value("conditions", Json::array())) {
      if (c.value("type", "") == "Ready")
        return c.value("status", "") + "/" + c.value("reason", "");
    }
    return {};
  }

  fs::path work_;
  std::string interconnect_;
};

TEST_F(N32Test, CrdAndApiRefuseAmbiguousPeersWithTheSameMessages) {
  create_trust_domain();
  const Json base = profile_document("sepp", "SEPP",
                                     {{"n32",
                                       {{"peers",
                                         {{{"name", "a"},
                                           {"fqdn", kPartnerFqdn},
                                           {"plmns", {{{"mcc", "002"}, {"mnc", "02"}}}},
                                           {"trustAnchorRef", {{"name", "roots-a"}}}}}}}}});
  {
    std::string output;
    EXPECT_EQ(apply_yaml(base.dump(2), &output), 0) << output;
    // The apiserver applied the defaults the API layer applies.
    const auto ref = profile("sepp")["spec"]["n32"]["peers"][0]["trustAnchorRef"];
    EXPECT_EQ(ref.value("kind", ""), "ConfigMap");
    EXPECT_EQ(ref.value("key", ""), "ca.crt");
  }
  struct Case {
    std::string label;
    Json doc;
    std::string message;
  };
  std::vector<Case> cases;
  {
    Json j = base;
    Json second = j["spec"]["n32"]["peers"][0];
    second["name"] = "b";
    second["plmns"] = {{{"mcc", "003"}, {"mnc", "03"}}};
    j["spec"]["n32"]["peers"].push_back(second);
    cases.push_back({"same fqdn", j, "two N32 peers must not have the same fqdn"});
  }
  {
    Json j = base;
    Json second = j["spec"]["n32"]["peers"][0];
    second["name"] = "b";
    second["fqdn"] = "sepp.5gc.mnc003.mcc003.3gppnetwork.org";
    j["spec"]["n32"]["peers"].push_back(second);
    cases.push_back({"shared PLMN", j, "a PLMN must belong to one N32 peer only"});
  }
  {
    Json j = base;
    j["spec"]["n32"]["peers"][0].erase("trustAnchorRef");
    cases.push_back({"no trust anchor", j, "trustAnchorRef"});
  }
  {
    // The pre-peers shape: a partner with no trust anchor of its own.
    Json j = base;
    j["spec"]["n32"] = {{"remotePlmns", {{{"mcc", "002"}, {"mnc", "02"}}}},
                        {"remoteSeppFqdns", {kPartnerFqdn}}};
    cases.push_back({"old shape", j, "remotePlmns"});
  }
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    std::string output;
    EXPECT_NE(apply_yaml(c.doc.dump(2), &output), 0) << output;
    EXPECT_NE(output.find(c.message), std::string::npos) << output;
    const auto errors = api::check_security_profile(c.doc);
    EXPECT_TRUE(std::any_of(errors.begin(), errors.end(), [&](const auto& e) {
      return e.field.find(c.message) != std::string::npos ||
             e.reason.find(c.message) != std::string::npos;
    })) << "the API layer does not agree";
  }
}

TEST_F(N32Test, SampleSeppTrustsThePartnerByItsOwnRootsOnTheWire) {
  create_trust_domain();
  start_operator("op");
  const auto now = std::chrono::system_clock::now();

  // The partner operator's CA and SEPP certificate (its N32 name), and the roots it gave us
  // in the ConfigMap the sample references.
  const auto partner_ca = crypto::CertificateAuthority::create_self_signed(
      crypto::KeyAlgorithm::EcdsaP256, {"DE", "partner 002-02", "", "partner N32 root"}, 24h * 30,
      now - 1h);
  Party partner{work_ / "partner" / "tls.crt", work_ / "partner" / "tls.key"};
  {
    const auto key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
    crypto::CertificateTemplate identity;
    identity.subject = {"DE", "partner 002-02", "", ""};
    identity.dns_names = {kPartnerFqdn};
    identity.not_before = now - 1min;
    identity.not_after = now + 24h;
    const auto leaf =
        partner_ca.sign(crypto::CertificateSigningRequest::create(key, identity), identity, now);
    write_text(partner.certificate, leaf.to_pem());
    write_text(partner.key, key.to_pkcs8_pem());
  }
  const Json roots = {{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", {{"name", kPartnerRoots}}},
                      {"data", {{"ca.crt", partner_ca.certificate().to_pem()}}}};
  std::string output;
  ASSERT_EQ(apply_yaml(roots.dump(2), &output), 0) << output;

  ASSERT_EQ(apply_yaml(sample(), &output), 0) << output;
  ASSERT_TRUE(eventually([&] { return profile_condition("sepp", "Ready", "True"); },
                         std::chrono::seconds(90)))
      << profile("sepp")["status"].dump(2) << operators_[0]->log();

  // The SEPP certificate covers its telescopic FQDNs (TS 33.501 13.1.1.0).
  const auto tls = secret("sepp-tls");
  const auto leaf = crypto::Certificate::from_pem(decode(tls, "tls.crt"));
  const auto names = leaf.dns_names();
  EXPECT_NE(std::find(names.begin(), names.end(), std::string("*.") + kSeppFqdn), names.end());

  // The Open5GS rendering: one client per partner with its PLMN, N32-f apart, the partner's
  // roots (never the home CA) to verify it, and the same roots for the N32 server's clients.
  const auto data = config_map("sepp-security")["data"];
  const std::string open5gs = data.value("open5gs.yaml", "");
  const std::string security = data.value("security.yaml", "");
  const std::string roots_file =
      std::string(render::kN32TrustAnchorDir) + "/" + kPartnerPeer + "/" + "ca.crt";
  ASSERT_NE(open5gs.find("receiver: " + std::string(kPartnerFqdn)), std::string::npos) << open5gs;
  EXPECT_EQ(value_after(open5gs, "receiver: ", "mcc"), "002") << open5gs;
  EXPECT_EQ(value_after(open5gs, "receiver: ", "mnc"), "02") << open5gs;
  EXPECT_EQ(value_after(open5gs, "receiver: ", "uri"), std::string("https://") + kPartnerFqdn);
  const std::string client_cacert = value_after(open5gs, "receiver: ", "cacert");
  EXPECT_EQ(client_cacert, roots_file) << open5gs;
  EXPECT_EQ(value_after(open5gs, "sender: ", "verify_client_cacert"), roots_file) << open5gs;
  EXPECT_NE(open5gs.find("n32f:"), std::string::npos) << open5gs;
  // The home root for partners: the trust bundle ConfigMap, named in security.yaml.
  const std::string home_bundle = value_after(security, "homeTrustAnchor:", "configMap");
  ASSERT_EQ(home_bundle, trust_domain_ + "-ca") << security;
  const std::string exported = config_map(home_bundle)["data"].value("ca.crt", "");
  ASSERT_FALSE(exported.empty());

  // The pod's mounts: the TLS Secret, and the partner's ConfigMap at the rendered path.
  const fs::path tls_dir = local(std::string(render::kTlsMountDir) + "/");
  write_text(tls_dir / "tls.crt", decode(tls, "tls.crt"));
  write_text(tls_dir / "tls.key", decode(tls, "tls.key"));
  fs::permissions(tls_dir / "tls.key", fs::perms::owner_read | fs::perms::owner_write);
  write_text(tls_dir / "ca.crt", decode(tls, "ca.crt"));
  write_text(local(client_cacert), config_map(kPartnerRoots)["data"].value("ca.crt", ""));
  write_text(work_ / "partner" / "home-roots.crt", exported);
  const Party sepp{tls_dir / "tls.crt", tls_dir / "tls.key"};

  // N32-c client: our SEPP dials the partner with the rendered cacert; the partner verifies
  // us with the home root it was given.
  auto out = handshake(partner, work_ / "partner" / "home-roots.crt", sepp, local(client_cacert),
                       kPartnerFqdn, "client");
  EXPECT_TRUE(out.ok) << out.log;
  // The home CA (what N32 trusted before) does not authenticate the partner.
  out = handshake(partner, work_ / "partner" / "home-roots.crt", sepp, tls_dir / "ca.crt",
                  kPartnerFqdn, "client-home-ca");
  EXPECT_FALSE(out.ok) << out.log;
  // N32 server: the partner dials a telescopic FQDN of our SEPP and is verified with the
  // rendered verify_client_cacert.
  out = handshake(sepp, local(value_after(open5gs, "sender: ", "verify_client_cacert")), partner,
                  work_ / "partner" / "home-roots.crt", std::string("n32f.") + kSeppFqdn, "server");
  EXPECT_TRUE(out.ok) << out.log;
}

// spec.n32.trustDomainRef: the SEPP's N32 certificate (<name>-n32) comes from the interconnect
// TrustDomain's CA, not the home one; the SBI certificate still from home; the roots partners are
// given are the interconnect bundle; a missing interconnect TrustDomain is named in Ready and
// nothing N32 is written until it exists.
TEST_F(N32Test, N32CertificateComesFromTheInterconnectTrustDomainOnTheWire) {
  create_trust_domain();
  start_operator("op");
  const Party partner = make_partner();
  std::string output;
  ASSERT_EQ(apply_yaml(interconnect_sample(), &output), 0) << output;

  // 1. The interconnect TrustDomain does not exist yet: Ready False naming the field, the SBI
  // certificate written, nothing N32.
  ASSERT_TRUE(
      eventually([&] { return ready_reason("sepp") == "False/N32TrustDomainNotFound"; }, 90s))
      << profile("sepp")["status"].dump(2) << operators_[0]->log();
  {
    std::string message;
    const auto object = profile("sepp");  // kept: the loop reads into it
    for (const auto& c : object["status"]["conditions"]) {
      if (c.value("type", "") == "Ready") message = c.value("message", "");
    }
    EXPECT_NE(message.find("spec.n32.trustDomainRef"), std::string::npos) << message;
    EXPECT_NE(message.find(interconnect_), std::string::npos) << message;
  }
  EXPECT_FALSE(gone(kube::resources::secrets(), "sepp-tls"));
  EXPECT_TRUE(gone(kube::resources::secrets(), "sepp-n32"));
  EXPECT_TRUE(gone(kube::resources::config_maps(), interconnect_ + "-ca"));

  // 2. Created: the SEPP becomes Ready (its events requeue the SEPP) with an N32 certificate.
  ASSERT_EQ(create_interconnect(), 0);
  ASSERT_TRUE(eventually([&] { return profile_condition("sepp", "Ready", "True"); }, 90s))
      << profile("sepp")["status"].dump(2) << operators_[0]->log();
  ASSERT_TRUE(eventually(
      [&] {
        return !gone(kube::resources::secrets(), "sepp-n32") &&
               !gone(kube::resources::config_maps(), interconnect_ + "-ca");
      },
      60s));
  const auto n32 = secret("sepp-n32");
  const auto sbi = secret("sepp-tls");
  const auto home_ca =
      crypto::Certificate::from_pem(config_map(trust_domain_ + "-ca")["data"].value("ca.crt", ""));
  const std::string exported = config_map(interconnect_ + "-ca")["data"].value("ca.crt", "");
  const auto interconnect_ca = crypto::Certificate::from_pem(exported);
  const auto n32_leaf = crypto::Certificate::from_pem(decode(n32, "tls.crt"));
  const auto sbi_leaf = crypto::Certificate::from_pem(decode(sbi, "tls.crt"));
  EXPECT_TRUE(n32_leaf.issued_by(interconnect_ca));
  EXPECT_FALSE(n32_leaf.issued_by(home_ca));
  EXPECT_TRUE(sbi_leaf.issued_by(home_ca));
  EXPECT_FALSE(sbi_leaf.issued_by(interconnect_ca));
  EXPECT_EQ(decode(n32, "ca.crt"), exported);
  const auto n32_names = n32_leaf.dns_names();
  EXPECT_EQ(n32_names, (std::vector<std::string>{kSeppFqdn, std::string("*.") + kSeppFqdn}));
  // The whole chain verifies against the interconnect root and not the home one.
  write_text(work_ / "n32-chain.crt", decode(n32, "tls.crt"));
  write_text(work_ / "interconnect.crt", exported);
  write_text(work_ / "home.crt", home_ca.to_pem());
  EXPECT_EQ(run_command("openssl verify -CAfile " + (work_ / "interconnect.crt").string() + " " +
                            (work_ / "n32-chain.crt").string(),
                        &output),
            0)
      << output;
  EXPECT_NE(run_command("openssl verify -CAfile " + (work_ / "home.crt").string() + " " +
                            (work_ / "n32-chain.crt").string(),
                        &output),
            0)
      << output;

  // The rendering: n32 cert/key are the mounted <name>-n32 files; the roots for partners are
  // the interconnect bundle.
  const auto data = config_map("sepp-security")["data"];
  const std::string open5gs = data.value("open5gs.yaml", "");
  const std::string security = data.value("security.yaml", "");
  EXPECT_EQ(value_after(open5gs, "sender: ", "cert"), "/etc/secprov/n32/tls/tls.crt") << open5gs;
  EXPECT_EQ(value_after(open5gs, "sender: ", "private_key"), "/etc/secprov/n32/tls/tls.key");
  EXPECT_EQ(value_after(open5gs, "receiver: ", "client_cert"), "/etc/secprov/n32/tls/tls.crt");
  EXPECT_EQ(value_after(open5gs, "receiver: ", "client_private_key"),
            "/etc/secprov/n32/tls/tls.key");
  EXPECT_EQ(value_after(security, "homeTrustAnchor:", "configMap"), interconnect_ + "-ca")
      << security;

  // 3. On the wire, with the files where the pod mounts them.
  const std::string client_cert = value_after(open5gs, "receiver: ", "client_cert");
  const std::string client_key = value_after(open5gs, "receiver: ", "client_private_key");
  write_text(local(client_cert), decode(n32, "tls.crt"));
  write_text(local(client_key), decode(n32, "tls.key"));
  fs::permissions(local(client_key), fs::perms::owner_read | fs::perms::owner_write);
  const std::string client_cacert = value_after(open5gs, "receiver: ", "cacert");
  write_text(local(client_cacert), config_map(kPartnerRoots)["data"].value("ca.crt", ""));
  write_text(work_ / "partner" / "interconnect-roots.crt", exported);
  write_text(work_ / "partner" / "home-roots.crt", home_ca.to_pem());
  const Party sepp{local(client_cert), local(client_key)};
  // The partner given the interconnect root accepts our N32 certificate.
  auto out = handshake(partner, work_ / "partner" / "interconnect-roots.crt", sepp,
                       local(client_cacert), kPartnerFqdn, "ic-client");
  EXPECT_TRUE(out.ok) << out.log;
  // A partner given only the home root refuses it.
  out = handshake(partner, work_ / "partner" / "home-roots.crt", sepp, local(client_cacert),
                  kPartnerFqdn, "ic-client-home");
  EXPECT_FALSE(out.ok) << out.log;
  // Our N32 server (the same files), dialed on a telescopic FQDN by the partner.
  out = handshake(sepp, local(value_after(open5gs, "sender: ", "verify_client_cacert")), partner,
                  work_ / "partner" / "interconnect-roots.crt", std::string("n32f.") + kSeppFqdn,
                  "ic-server");
  EXPECT_TRUE(out.ok) << out.log;
}

}  // namespace
}  // namespace secprov::testing
