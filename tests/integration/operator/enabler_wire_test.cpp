// Issue 9, on the wire: the security enabler's HAProxy configuration exactly as the operator
// writes it (ConfigMap "<profile>-security", key haproxy.cfg) run by a real HAProxy (Debian
// 12's 2.6, `haproxy -W -db`) with exactly the written TLS Secret and trust-bundle ConfigMap,
// each key at the path render::enabler_injection() mounts it (support/haproxy.h). Behind it a
// plain HTTP/2 server (nghttpd --no-tls) stands for the NF; clients are curl --http2 and
// nghttp with certificates the operator issued (the AMF sample's) or made here from the trust
// domain's CA. The AUSF sample is applied as shipped, then its outbound peers are pointed at
// the enabler's own inbound port (the only TLS peer on the namespace's loopback) with the
// right and a wrong name to verify.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/constants.h"
#include "api/securityprofile.h"
#include "api/trustdomain.h"
#include "crypto/authority.h"
#include "crypto/certificate.h"
#include "crypto/crl.h"
#include "crypto/csr.h"
#include "crypto/encoding.h"
#include "crypto/key.h"
#include "operator_fixture.h"
#include "render/enabler.h"
#include "render/names.h"
#include "render/trust_domain.h"
#include "support/haproxy.h"
#include "support/samples.h"

namespace secprov::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kBody = "secprov-enabler-ok";
constexpr const char* kAmfId = "6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31";   // deploy/samples/amf.yaml
constexpr const char* kAusfId = "3b9d6c1e-7a2f-4e58-9b0c-1d2e3f4a5b6c";  // deploy/samples/ausf.yaml

struct Client {
  fs::path certificate;
  fs::path key;
};

struct Reply {
  int exit_code = -1;
  std::string output;
  bool served() const {  // the NF's page over HTTP/2 with 200
    return exit_code == 0 && output.find(kBody) != std::string::npos &&
           output.find("RESULT 2 200") != std::string::npos;
  }
};

class EnablerWireTest : public OperatorTest {
 protected:
  void TearDown() override {
    lab_.reset();
    std::error_code ignored;
    if (!work_.empty()) fs::remove_all(work_, ignored);  // test keys never outlive the test
    OperatorTest::TearDown();
  }

  std::string sample(const std::string& file) {
    return read_text(cluster_paths().source_dir / "deploy" / "samples" / file);
  }

  crypto::CertificateAuthority trust_domain_ca() {
    const auto parsed =
        api::parse_trust_domain(client_->get(kube::resources::trust_domains(), "", trust_domain_));
    EXPECT_TRUE(parsed.ok());
    const auto key_pair = secret(render::ca_secret_name(parsed.value()));
    return crypto::CertificateAuthority::load(
        decode(key_pair, std::string(render::kTlsCertificateKey)),
        decode(key_pair, std::string(render::kTlsPrivateKeyKey)), std::chrono::system_clock::now());
  }

  Client write_client(const std::string& name, const std::string& certificate_pem,
                      const std::string& key_pem) {
    Client c{work_ / (name + ".crt"), work_ / (name + ".key")};
    write_text(c.certificate, certificate_pem);
    write_text(c.key, key_pem);
    fs::permissions(c.key, fs::perms::owner_read | fs::perms::owner_write);
    return c;
  }

  // A leaf for a fresh key with `identity`'s names, valid in [not_before, not_after].
  Client issue(const crypto::CertificateAuthority& ca, crypto::CertificateTemplate identity,
               std::chrono::system_clock::time_point not_before,
               std::chrono::system_clock::time_point not_after, const std::string& name) {
    const auto key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
    identity.not_before = not_before;
    identity.not_after = not_after;
    const auto leaf = ca.sign(crypto::CertificateSigningRequest::create(key, identity), identity,
                              std::chrono::system_clock::now());
    return write_client(name, leaf.to_pem(), key.to_pkcs8_pem());
  }

  // The CRL the enabler mounts: ca.crl of the trust bundle ConfigMap, else (until the trust
  // bundle carries it) of the domain's CRL ConfigMap in the operator's namespace.
  std::optional<std::string> published_crl() {
    for (const auto& name :
         {render::trust_bundle_name(trust_domain_), render::crl_config_map_name(trust_domain_)}) {
      const auto cm = config_map(name);
      const auto data = cm.value("data", kube::Json::object());
      if (data.contains(std::string(render::kCrlKey))) {
        return data.at(std::string(render::kCrlKey)).get<std::string>();
      }
    }
    return std::nullopt;
  }

  // curl --http2 to the enabler's TLS port under the AUSF's name, trusting the domain's CA.
  Reply curl(const std::string& options, const std::optional<Client>& client) {
    std::string command = "curl -sS --max-time 10 --http2 --cacert " + ca_file_.string() +
                          " --resolve " + server_name_ + ":" + std::to_string(tls_port_) +
                          ":127.0.0.1 -w '\nRESULT %{http_version} %{http_code}\n' " + options;
    if (client) {
      command += " --cert " + client->certificate.string() + " --key " + client->key.string();
    }
    command += " https://" + server_name_ + ":" + std::to_string(tls_port_) + "/index.html";
    Reply r;
    r.exit_code = lab_->exec(command, &r.output);
    r.output = command + "\n" + r.output;
    return r;
  }

  // Plain HTTP/2 (prior knowledge) from the NF to an outbound local port.
  Reply curl_outbound(int local_port) {
    const std::string command =
        "curl -sS --max-time 10 --http2-prior-knowledge -w '\nRESULT %{http_version} "
        "%{http_code}\n' http://127.0.0.1:" +
        std::to_string(local_port) + "/index.html";
    Reply r;
    r.exit_code = lab_->exec(command, &r.output);
    r.output = command + "\n" + r.output;
    return r;
  }

  fs::path work_;
  fs::path ca_file_;
  std::string server_name_;
  int tls_port_ = 0;
  std::optional<HaproxyLab> lab_;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string lower(std::string text) {
  std::ranges::transform(text, text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

TEST_F(EnablerWireTest, RenderedHaproxyServesTheProfilesTlsAndRefusesEverythingElse) {
  if (const auto why = haproxy_lab_unavailable()) GTEST_SKIP() << *why;
  const auto missing = haproxy_lab_missing_programs();
  ASSERT_TRUE(missing.empty()) << "missing: " << ::testing::PrintToString(missing)
                               << " (scripts/install-deps.sh installs them)";
  work_ = cluster_paths().binary_dir / "it" / ("enabler-wire-" + namespace_);
  fs::create_directories(work_);
  fs::permissions(work_, fs::perms::owner_all);

  // 1. The trust domain, the AMF (a client) and the AUSF (enabler Sidecar) samples.
  const std::string domain_yaml = sample("trustdomain.yaml");
  const auto sample_domain = metadata_name(domain_yaml);
  trust_domain_ = ("td-" + namespace_).substr(0, 60);
  start_operator("op");
  std::string output;
  for (const auto& yaml : {domain_yaml, sample("amf.yaml"), sample("ausf.yaml")}) {
    ASSERT_EQ(apply_yaml(localized(yaml, sample_domain, trust_domain_), &output), 0) << output;
  }
  for (const char* name : {"amf", "ausf"}) {
    ASSERT_TRUE(eventually([&] { return profile_condition(name, "Ready", "True"); }, 90s))
        << name << ": " << profile(name)["status"].dump(2) << operators_[0]->log();
  }
  auto ausf = api::parse_security_profile(profile("ausf"));
  ASSERT_TRUE(ausf.ok());
  server_name_ = render::primary_dns_name(ausf.value());

  // 2. Outbound peers on the loopback: the enabler's own TLS port, verified under the AUSF's
  // name (its certificate holds it) and under a name it does not hold. The AUSF's own
  // certificate is then a client of its inbound side, so it joins allowedClients.
  const int self_port = 9101;
  const int wrong_port = 9102;
  client_->merge_patch(kube::resources::security_profiles(), namespace_, "ausf",
                       {{"spec",
                         {{"enabler",
                           {{"inbound", {{"allowedClients", {kAmfId, kAusfId}}}},
                            {"outbound",
                             {{{"name", "self"},
                               {"localPort", self_port},
                               {"host", "127.0.0.1"},
                               {"port", 8443},
                               {"serverName", server_name_}},
                              {{"name", "wrong"},
                               {"localPort", wrong_port},
                               {"host", "127.0.0.1"},
                               {"port", 8443},
                               {"serverName", "nrf.example.org"}}}}}}}}});
  const auto config_name = render::config_map_name(ausf.value());
  ASSERT_TRUE(eventually(
      [&] {
        const auto data = config_map(config_name).value("data", kube::Json::object());
        return contains(data.value(std::string(render::kHaproxyCfgKey), ""),
                        "server wrong 127.0.0.1:8443");
      },
      60s))
      << operators_[0]->log();
  ausf = api::parse_security_profile(profile("ausf"));
  ASSERT_TRUE(ausf.ok());
  const auto& inbound = *ausf.value().spec.enabler->inbound;
  tls_port_ = inbound.tls_port;

  // 3. The operator revokes a certificate it replaced: the AMF's key edited in its Secret
  // (driftPolicy Enforce) makes it reissue, and the CRL it publishes lists the old one.
  const auto amf_profile = api::parse_security_profile(profile("amf"));
  ASSERT_TRUE(amf_profile.ok());
  const auto amf_secret = render::tls_secret_name(amf_profile.value());
  const auto amf_before = secret(amf_secret);
  const Client revoked_amf =
      write_client("amf-revoked", decode(amf_before, std::string(render::kTlsCertificateKey)),
                   decode(amf_before, std::string(render::kTlsPrivateKeyKey)));
  const auto replaced = crypto::Certificate::from_pem(read_text(revoked_amf.certificate));
  client_->merge_patch(kube::resources::secrets(), namespace_, amf_secret,
                       {{"data", {{"tls.key", crypto::base64_encode("tampered")}}}});
  ASSERT_TRUE(eventually(
      [&] {
        const auto crl = published_crl();
        if (!crl) return false;
        try {
          return crypto::CertificateRevocationList::from_pem(*crl).revokes(replaced);
        } catch (const std::exception&) {
          return false;
        }
      },
      90s))
      << operators_[0]->log();
  Client amf;
  ASSERT_TRUE(eventually(
      [&] {
        const auto tls = secret(amf_secret);
        const auto key = decode(tls, std::string(render::kTlsPrivateKeyKey));
        const auto pem = decode(tls, std::string(render::kTlsCertificateKey));
        if (key == "tampered" ||
            crypto::Certificate::from_pem(pem).serial_hex() == replaced.serial_hex()) {
          return false;
        }
        amf = write_client("amf", pem, key);
        return true;
      },
      60s));

  // 4. Exactly the written objects, each key at the path the injection mounts it.
  const auto injection = render::enabler_injection(ausf.value(), "unused");
  std::map<std::string, HaproxyLab::File> files;
  bool crl_from_trust_bundle = true;
  for (const auto& volume : injection.volumes) {
    const auto object = volume.kind == "Secret" ? secret(volume.source) : config_map(volume.source);
    for (const auto& item : volume.items) {
      std::string content;
      if (volume.kind == "Secret") {
        content = decode(object, item.key);
      } else if (object.value("data", kube::Json::object()).contains(item.key)) {
        content = object.at("data").at(item.key).get<std::string>();
      } else if (item.key == render::kCrlKey) {
        crl_from_trust_bundle = false;
        content = published_crl().value_or("");
      }
      ASSERT_FALSE(content.empty()) << volume.source << "/" << item.key;
      files[volume.mount_path + "/" + item.path] = {content, static_cast<fs::perms>(item.mode)};
    }
  }
  if (!crl_from_trust_bundle) {
    std::cout << "ca.crl is not in " << render::trust_bundle_name(trust_domain_)
              << " yet: mounted from " << render::crl_config_map_name(trust_domain_) << "\n";
  }
  ca_file_ = work_ / "ca.crt";
  write_text(ca_file_, files.at(std::string(render::kEnablerCaFile)).content);
  const auto docroot = work_ / "www";
  write_text(docroot / "index.html", std::string(kBody) + "\n");
  lab_.emplace(work_ / "lab", files);
  lab_->start_h2c_server(inbound.port, docroot);
  lab_->start_haproxy(std::string(render::kEnablerConfigFile), tls_port_);
  const std::string hlog = "\nhaproxy:\n";

  // 5. The AMF's issued certificate: HTTP/2 (ALPN h2) through the enabler to the NF.
  {
    const auto r = curl("", amf);
    EXPECT_TRUE(r.served()) << r.output << hlog << lab_->haproxy_log();
    std::string out;
    const int rc =
        lab_->exec("nghttp -v --cert " + amf.certificate.string() + " --key " + amf.key.string() +
                       " https://127.0.0.1:" + std::to_string(tls_port_) + "/index.html",
                   &out);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_TRUE(contains(out, "The negotiated protocol: h2")) << out;
    EXPECT_TRUE(contains(out, ":status: 200")) << out;
    EXPECT_TRUE(contains(out, kBody)) << out;
  }

  // 6. The profile's versions, TLS 1.2 suites (those of the certificate's ECDSA key), TLS 1.3
  // suites and groups are each accepted alone; the allow-list's others are refused. Groups
  // with TLS 1.3 only: in TLS 1.2 the client's group list also limits the curve of an ECDSA
  // certificate (RFC 8422 5.1), so X25519 alone cannot meet a P-256 certificate.
  const auto& tls = ausf.value().spec.sbi.tls;
  for (const auto v : {api::TlsVersion::V1_2, api::TlsVersion::V1_3}) {
    const std::string name = v == api::TlsVersion::V1_3 ? "1.3" : "1.2";
    const auto r = curl("--tlsv" + name + " --tls-max " + name, amf);
    const bool in_profile = v >= tls.min_version && v <= tls.max_version;
    EXPECT_EQ(r.served(), in_profile) << r.output;
  }
  {
    const auto r = curl("--tlsv1.1 --tls-max 1.1 --ciphers 'DEFAULT:@SECLEVEL=0'", amf);
    EXPECT_FALSE(r.served()) << r.output;
    EXPECT_TRUE(contains(r.output, "alert protocol version")) << r.output;
  }
  for (const auto suite : api::tls12_allow_list()) {
    const std::string name(api::openssl_name(suite));
    if (!contains(name, "ECDSA")) continue;  // the key is ECDSA P-256
    const bool in_profile = std::ranges::count(tls.tls12_cipher_suites, suite) > 0;
    const auto r = curl("--tlsv1.2 --tls-max 1.2 --ciphers " + name, amf);
    EXPECT_EQ(r.served(), in_profile) << name << "\n" << r.output;
    if (!in_profile) {
      EXPECT_TRUE(contains(r.output, "alert handshake failure")) << r.output;
    }
  }
  for (const auto suite : api::tls13_allow_list()) {
    const std::string name(api::openssl_name(suite));
    const bool in_profile = std::ranges::count(tls.tls13_cipher_suites, suite) > 0;
    const auto r = curl("--tlsv1.3 --tls13-ciphers " + name, amf);
    EXPECT_EQ(r.served(), in_profile) << name << "\n" << r.output;
  }
  for (const auto group : api::tls_group_allow_list()) {
    const std::string name(api::openssl_name(group));
    const bool in_profile = std::ranges::count(tls.groups, group) > 0;
    const auto r = curl("--tlsv1.3 --curves " + name, amf);
    EXPECT_EQ(r.served(), in_profile) << name << "\n" << r.output;
  }

  // 7. Clients refused: none, another CA's, an expired one, the revoked one, and one of the
  // trust domain whose nfInstanceId is not in allowedClients (403 after the handshake). TLS 1.2
  // shows the server's alert in the handshake (curl -v: "TLS alert, <description>"); with
  // TLS 1.3 the client sees it only on reading.
  const auto now = std::chrono::system_clock::now();
  const auto domain_ca = trust_domain_ca();
  const auto other_ca = crypto::CertificateAuthority::create_self_signed(
      crypto::KeyAlgorithm::EcdsaP256, {"FR", "another operator", "", "other CA"}, 24h * 30,
      now - 1h);
  const auto amf_leaf = crypto::Certificate::from_pem(read_text(amf.certificate));
  crypto::CertificateTemplate amf_identity;
  amf_identity.subject = amf_leaf.subject();
  amf_identity.dns_names = amf_leaf.dns_names();
  amf_identity.uris = amf_leaf.uris();
  amf_identity.nf_types = amf_leaf.nf_types();
  const auto foreign = issue(other_ca, amf_identity, now - 1h, now + 24h, "foreign");
  const auto expired = issue(domain_ca, amf_identity, now - 48h, now - 24h, "expired");
  auto stranger_identity = amf_identity;
  stranger_identity.uris = {"urn:uuid:9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a"};
  const auto stranger = issue(domain_ca, stranger_identity, now - 1h, now + 24h, "stranger");
  struct Refusal {
    const char* name;
    std::optional<Client> client;
    const char* alert;  // the server's, in the TLS 1.2 handshake
  };
  for (const auto& [name, client, alert] :
       {Refusal{"no certificate", std::nullopt, "handshake failure"},
        Refusal{"another CA", foreign, "unknown ca"},
        Refusal{"expired", expired, "certificate expired"},
        Refusal{"revoked", revoked_amf, "certificate revoked"}}) {
    const auto r12 = curl("-v --tlsv1.2 --tls-max 1.2", client);
    EXPECT_FALSE(r12.served()) << name << "\n" << r12.output;
    EXPECT_NE(r12.exit_code, 0) << name << "\n" << r12.output;
    EXPECT_TRUE(contains(lower(r12.output), std::string("tls alert, ") + alert)) << name << "\n"
                                                                                 << r12.output;
    const auto r13 = curl("--tlsv1.3", client);
    EXPECT_FALSE(r13.served()) << name << "\n" << r13.output;
    EXPECT_NE(r13.exit_code, 0) << name << "\n" << r13.output;
  }
  {
    const auto r = curl("", stranger);
    EXPECT_FALSE(r.served()) << r.output;
    EXPECT_TRUE(contains(r.output, "RESULT 2 403")) << r.output;
  }

  // 8. Outbound: the NF's plaintext HTTP/2 leaves over mutual TLS (ALPN h2) to a peer that
  // holds the name to verify; a peer that does not hold it is refused (no response from it).
  {
    const auto r = curl_outbound(self_port);
    EXPECT_TRUE(r.served()) << r.output << hlog << lab_->haproxy_log();
    std::string out;
    EXPECT_EQ(
        lab_->exec("nghttp -v http://127.0.0.1:" + std::to_string(self_port) + "/index.html", &out),
        0)
        << out;
    EXPECT_TRUE(contains(out, kBody)) << out;
  }
  {
    const auto r = curl_outbound(wrong_port);
    EXPECT_FALSE(r.served()) << r.output;
    EXPECT_TRUE(contains(r.output, "RESULT 2 503")) << r.output << hlog << lab_->haproxy_log();
  }
}

// The real kube-apiserver refuses what api::validate() refuses in spec.enabler, on the same
// field with the same message (OpenAPI bounds and the CRD's CEL rules).
TEST_F(EnablerWireTest, ApiserverRefusesInvalidEnablersAsTheApiDoes) {
  struct Case {
    const char* name;
    kube::Json enabler;
    kube::Json tls;
    const char* field;
  };
  const kube::Json inbound = {{"port", 8000}, {"tlsPort", 8443}};
  const std::vector<Case> cases = {
      {"tlsPort is the plaintext port",
       {{"mode", "Sidecar"}, {"inbound", {{"port", 8000}, {"tlsPort", 8000}}}},
       nullptr,
       "spec.enabler.inbound.tlsPort"},
      {"outbound localPort is an inbound port",
       {{"mode", "Sidecar"},
        {"inbound", inbound},
        {"outbound", {{{"name", "a"}, {"localPort", 8443}, {"host", "a"}, {"port", 1}}}}},
       nullptr,
       "spec.enabler.outbound"},
      {"outbound localPorts twice",
       {{"mode", "Sidecar"},
        {"outbound",
         {{{"name", "a"}, {"localPort", 9001}, {"host", "a"}, {"port", 1}},
          {{"name", "b"}, {"localPort", 9001}, {"host", "b"}, {"port", 1}}}}},
       nullptr,
       "spec.enabler.outbound"},
      {"Sidecar without traffic", {{"mode", "Sidecar"}}, nullptr, "spec.enabler"},
      {"reference with tag",
       {{"mode", "Sidecar"},
        {"inbound", inbound},
        {"image", {{"reference", "a/b:1"}, {"tag", "2"}}}},
       nullptr,
       "spec.enabler.image"},
      {"port 0",
       {{"mode", "Sidecar"}, {"inbound", {{"port", 0}, {"tlsPort", 8443}}}},
       nullptr,
       "spec.enabler.inbound.port"},
      {"Sidecar with TLS Disabled",
       {{"mode", "Sidecar"}, {"inbound", inbound}},
       {{"mode", "Disabled"}},
       "spec.enabler.mode"},
  };
  for (const auto& c : cases) {
    kube::Json doc = {{"apiVersion", "secprov.io/v1alpha1"},
                      {"kind", "SecurityProfile"},
                      {"metadata", {{"name", "invalid-enabler"}}},
                      {"spec",
                       {{"nfType", "AUSF"},
                        {"selector", {{"matchLabels", {{"app", "ausf"}}}}},
                        {"trustDomainRef", {{"name", "t"}}},
                        {"enabler", c.enabler}}}};
    if (!c.tls.is_null()) doc["spec"]["sbi"]["tls"] = c.tls;
    std::string reason;
    for (const auto& e : api::check_security_profile(doc)) {
      if (e.field == c.field) reason = e.reason;
    }
    EXPECT_FALSE(reason.empty()) << c.name;
    std::string output;
    EXPECT_NE(apply_yaml(doc.dump(), &output), 0) << c.name;
    EXPECT_TRUE(contains(output, std::string(c.field) + ": Invalid value: ")) << c.name << "\n"
                                                                              << output;
    EXPECT_TRUE(contains(output, reason)) << c.name << "\n" << output << "\napi: " << reason;
  }
}

}  // namespace
}  // namespace secprov::testing
