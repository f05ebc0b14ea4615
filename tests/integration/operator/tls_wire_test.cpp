// Issue 8: TLS between every SBI consumer-producer pair of the samples, on the wire. The
// samples are provisioned by secprov-operator against the real control plane; the TLS
// material it wrote (tls.crt, tls.key, ca.crt) is handed unchanged to a real `openssl
// s_server` (the producer, with its profile's mode and versions) and `openssl s_client` (the
// consumer, dialing the producer's advertised DNS name with hostname verification on, ALPN
// h2). Then certificates from another CA and expired ones (signed by the trust domain's own
// CA) are refused on both sides, and so are revoked ones when the side checks a CRL signed by
// the trust domain's CA: one built with crypto::issue_crl, and the one the operator publishes
// after revoking a certificate it replaced.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "api/securityprofile.h"
#include "api/trustdomain.h"
#include "crypto/authority.h"
#include "crypto/certificate.h"
#include "crypto/crl.h"
#include "crypto/csr.h"
#include "crypto/encoding.h"
#include "crypto/key.h"
#include "operator_fixture.h"
#include "render/names.h"
#include "render/trust_domain.h"
#include "support/samples.h"

namespace secprov::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Which producers each consumer type calls (TS 23.502 service operations); every NF
// registers with and discovers through the NRF.
std::vector<api::NfType> producers_called_by(api::NfType consumer) {
  using api::NfType;
  switch (consumer) {
    case NfType::AMF:
      return {NfType::NRF, NfType::SMF, NfType::AUSF, NfType::UDM, NfType::PCF, NfType::NSSF};
    case NfType::SMF:
      return {NfType::NRF, NfType::AMF, NfType::PCF, NfType::UDM};
    case NfType::NRF:
      return {};
    default:
      return {NfType::NRF};
  }
}

std::string protocol(api::TlsVersion version) {
  return version == api::TlsVersion::V1_3 ? "TLSv1.3" : "TLSv1.2";
}

// Certificate, key and trust bundle files of one party.
struct Party {
  std::string name;  // profile name, or what the test made
  fs::path certificate;
  fs::path key;
  fs::path trust_bundle;
};

struct Endpoint {  // one SBI profile of the samples
  Party party;
  api::NfType nf_type{};
  api::TlsSpec tls;
  std::string dial_name;  // the advertised name, in the certificate (render::primary_dns_name)
  crypto::CertificateTemplate identity;  // subject + SAN + nfTypes of the issued leaf
};

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// ChildProcess execs a path: the openssl of PATH.
std::string openssl_binary() {
  std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "/usr/bin:/bin";
  std::istringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && fs::exists(fs::path(dir) / "openssl"))
      return (fs::path(dir) / "openssl").string();
  }
  return "/usr/bin/openssl";
}

struct ServerOptions {
  bool require_client_certificate = true;
  api::TlsVersion min_version = api::TlsVersion::V1_2;
  api::TlsVersion max_version = api::TlsVersion::V1_3;
  std::optional<fs::path> crl;  // -crl_check with this CRL
};

// One `openssl s_server -www` for one connection on a free port of 127.0.0.1; killed with
// its ChildProcess when the handshake case ends, whatever the outcome.
class TlsServer {
 public:
  TlsServer(const Party& producer, const ServerOptions& options, const fs::path& log) {
    std::vector<std::string> argv = {openssl_binary(),
                                     "s_server",
                                     "-accept",
                                     "127.0.0.1:0",
                                     "-cert",
                                     producer.certificate.string(),
                                     "-key",
                                     producer.key.string(),
                                     "-CAfile",
                                     producer.trust_bundle.string(),
                                     "-alpn",
                                     "h2",
                                     "-min_protocol",
                                     protocol(options.min_version),
                                     "-max_protocol",
                                     protocol(options.max_version),
                                     "-naccept",
                                     "1",
                                     "-www"};
    if (options.require_client_certificate) {
      argv.insert(argv.end(), {"-Verify", "1", "-verify_return_error"});
    }
    if (options.crl) argv.insert(argv.end(), {"-crl_check", "-CRL", options.crl->string()});
    process_.emplace(std::move(argv), log);
  }

  // The port from "ACCEPT 127.0.0.1:<port>"; 0 if the server did not come up.
  int wait_listening() {
    int port = 0;
    eventually(
        [&] {
          const auto text = process_->log();
          const auto at = text.find("ACCEPT 127.0.0.1:");
          if (at == std::string::npos) return !process_->running();
          port = std::stoi(text.substr(at + 17));
          return true;
        },
        20s);
    return port;
  }

  std::string log() const { return process_->log(); }

 private:
  std::optional<ChildProcess> process_;
};

struct ClientResult {
  int exit_code = -1;
  std::string output;
  bool served() const { return output.find("HTTP/1.0 200 ok") != std::string::npos; }
  bool alpn_h2() const { return output.find("ALPN protocol: h2") != std::string::npos; }
};

// `openssl s_client` as the consumer: SNI and hostname verification for `dial_name`, the
// consumer's trust bundle, its certificate, ALPN h2, one GET.
ClientResult dial(const Party& consumer, const std::string& dial_name, int port,
                  const Endpoint& consumer_profile, const fs::path& request,
                  const std::optional<fs::path>& crl) {
  const std::string command =
      "timeout 30 openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " -servername " +
      shell_quote(dial_name) + " -verify_hostname " + shell_quote(dial_name) +
      " -verify_return_error -CAfile " + shell_quote(consumer.trust_bundle.string()) + " -cert " +
      shell_quote(consumer.certificate.string()) + " -key " + shell_quote(consumer.key.string()) +
      " -alpn h2 -min_protocol " + protocol(consumer_profile.tls.min_version) + " -max_protocol " +
      protocol(consumer_profile.tls.max_version) + " -ign_eof < " + shell_quote(request.string());
  ClientResult result;
  result.exit_code = run_command(
      command + (crl ? " -crl_check -CRL " + shell_quote(crl->string()) : std::string{}),
      &result.output);
  return result;
}

// Issues a leaf with `identity`'s names for a fresh key and writes it as a Party.
Party issue(const crypto::CertificateAuthority& ca, crypto::CertificateTemplate identity,
            std::chrono::system_clock::time_point not_before,
            std::chrono::system_clock::time_point not_after, const fs::path& dir,
            const std::string& name, const fs::path& trust_bundle) {
  const auto key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
  identity.not_before = not_before;
  identity.not_after = not_after;
  const auto now = std::chrono::system_clock::now();
  const auto leaf =
      ca.sign(crypto::CertificateSigningRequest::create(key, identity), identity, now);
  Party party{name, dir / (name + ".crt"), dir / (name + ".key"), trust_bundle};
  write_text(party.certificate, leaf.to_pem());
  write_text(party.key, key.to_pkcs8_pem());
  fs::permissions(party.key, fs::perms::owner_read | fs::perms::owner_write);
  return party;
}

class TlsWireTest : public OperatorTest {
 protected:
  void TearDown() override {
    std::error_code ignored;
    if (!work_.empty()) fs::remove_all(work_, ignored);  // test keys never outlive the test
    OperatorTest::TearDown();
  }

  // Applies the trust domain and every SecurityProfile sample, waits until each is Ready
  // and writes the TLS material of each SBI profile to work_.
  void provision_samples() {
    work_ = cluster_paths().binary_dir / "it" / ("tls-wire-" + namespace_);
    fs::create_directories(work_);
    fs::permissions(work_, fs::perms::owner_all);
    const auto samples = cluster_paths().source_dir / "deploy" / "samples";
    std::string domain_yaml;
    std::vector<std::string> profile_yamls;
    for (const auto& entry : fs::directory_iterator(samples)) {
      if (!entry.is_regular_file() || entry.path().extension() != ".yaml") continue;
      auto text = read_text(entry.path());
      if (text.find("\nkind: TrustDomain") != std::string::npos) {
        domain_yaml = std::move(text);
      } else if (text.find("\nkind: SecurityProfile") != std::string::npos) {
        profile_yamls.push_back(std::move(text));
      }
    }
    ASSERT_FALSE(domain_yaml.empty());
    ASSERT_GE(profile_yamls.size(), 5u) << "samples missing from " << samples;
    const auto sample_domain = metadata_name(domain_yaml);
    trust_domain_ = ("td-" + namespace_).substr(0, 60);

    start_operator("op", extra_operator_flags_);
    std::string output;
    ASSERT_EQ(apply_yaml(localized(domain_yaml, sample_domain, trust_domain_), &output), 0)
        << output;
    std::vector<std::string> names;
    for (const auto& yaml : profile_yamls) {
      names.push_back(metadata_name(yaml));
      ASSERT_EQ(apply_yaml(localized(yaml, sample_domain, trust_domain_), &output), 0) << output;
    }
    for (const auto& name : names) {
      ASSERT_TRUE(eventually([&] { return profile_condition(name, "Ready", "True"); }, 90s))
          << name << ": " << profile(name)["status"].dump(2) << operators_[0]->log();
    }
    for (const auto& name : names) {
      const auto parsed = api::parse_security_profile(profile(name));
      ASSERT_TRUE(parsed.ok()) << name;
      const auto& spec = parsed.value();
      if (spec.spec.sbi.tls.mode == api::TlsMode::Disabled) continue;
      const auto tls = secret(render::tls_secret_name(spec));
      Endpoint endpoint;
      endpoint.party =
          Party{name, work_ / (name + ".crt"), work_ / (name + ".key"), work_ / (name + "-ca.crt")};
      write_text(endpoint.party.certificate, decode(tls, std::string(render::kTlsCertificateKey)));
      write_text(endpoint.party.key, decode(tls, std::string(render::kTlsPrivateKeyKey)));
      fs::permissions(endpoint.party.key, fs::perms::owner_read | fs::perms::owner_write);
      write_text(endpoint.party.trust_bundle, decode(tls, std::string(render::kCaBundleKey)));
      endpoint.nf_type = spec.spec.nf_type;
      endpoint.tls = spec.spec.sbi.tls;
      endpoint.dial_name = render::primary_dns_name(spec);
      const auto leaf = crypto::Certificate::from_pem(read_text(endpoint.party.certificate));
      endpoint.identity.subject = leaf.subject();
      endpoint.identity.dns_names = leaf.dns_names();
      endpoint.identity.uris = leaf.uris();
      endpoint.identity.nf_types = leaf.nf_types();
      const auto dns = leaf.dns_names();
      ASSERT_NE(std::find(dns.begin(), dns.end(), endpoint.dial_name), dns.end())
          << name << ": the advertised name " << endpoint.dial_name << " is not in the SAN";
      endpoints_.push_back(std::move(endpoint));
    }
    request_ = work_ / "request.txt";
    write_text(request_, "GET / HTTP/1.0\r\n\r\n");
  }

  // The trust domain's CA, read from its key-pair Secret (the key stays in memory).
  crypto::CertificateAuthority trust_domain_ca() {
    const auto parsed =
        api::parse_trust_domain(client_->get(kube::resources::trust_domains(), "", trust_domain_));
    EXPECT_TRUE(parsed.ok());
    const auto key_pair = secret(render::ca_secret_name(parsed.value()));
    return crypto::CertificateAuthority::load(
        decode(key_pair, std::string(render::kTlsCertificateKey)),
        decode(key_pair, std::string(render::kTlsPrivateKeyKey)), std::chrono::system_clock::now());
  }

  // Every (consumer, producer) pair of the samples, by the table above.
  std::vector<std::pair<const Endpoint*, const Endpoint*>> pairs() const {
    std::vector<std::pair<const Endpoint*, const Endpoint*>> out;
    for (const auto& consumer : endpoints_) {
      for (const auto type : producers_called_by(consumer.nf_type)) {
        for (const auto& producer : endpoints_) {
          if (&producer != &consumer && producer.nf_type == type) {
            out.emplace_back(&consumer, &producer);
          }
        }
      }
    }
    return out;
  }

  ServerOptions options_of(const Endpoint& producer) const {
    return ServerOptions{producer.tls.mode == api::TlsMode::MutualTLS, producer.tls.min_version,
                         producer.tls.max_version, std::nullopt};
  }

  // One handshake: the producer party serves, the consumer party dials `dial_name`.
  struct Outcome {
    ClientResult client;
    std::string server_log;
  };
  Outcome handshake(const Party& server_party, const ServerOptions& options,
                    const Party& client_party, const Endpoint& consumer,
                    const std::string& dial_name, const std::string& label,
                    const std::optional<fs::path>& client_crl = std::nullopt) {
    TlsServer server(server_party, options, work_ / (label + "-server.log"));
    const int port = server.wait_listening();
    Outcome outcome;
    if (port == 0) {
      ADD_FAILURE() << label << ": s_server did not listen: " << server.log();
      return outcome;
    }
    outcome.client = dial(client_party, dial_name, port, consumer, request_, client_crl);
    // The server logs its verdict after the client saw the end of the connection.
    eventually([&] {
      const auto text = server.log();
      return text.find("server accepts that finished") != std::string::npos ||
             text.find("error") != std::string::npos;
    });
    outcome.server_log = server.log();
    return outcome;
  }

  std::vector<std::string> extra_operator_flags_;
  fs::path work_;
  fs::path request_;  // one HTTP/1.0 GET, the s_client input
  std::vector<Endpoint> endpoints_;
};

std::string label_of(const Endpoint& consumer, const Endpoint& producer) {
  return consumer.party.name + "-to-" + producer.party.name;
}

TEST_F(TlsWireTest, EverySampleSbiPairHandshakesAndRefusesForeignAndExpiredCertificates) {
  provision_samples();
  if (HasFatalFailure()) return;

  // The pairs the samples describe: at least AMF->NRF, SMF->NRF, AMF->SMF.
  const auto all = pairs();
  std::set<std::pair<api::NfType, api::NfType>> types;
  for (const auto& [consumer, producer] : all) types.emplace(consumer->nf_type, producer->nf_type);
  for (const auto& wanted : {std::pair{api::NfType::AMF, api::NfType::NRF},
                             std::pair{api::NfType::SMF, api::NfType::NRF},
                             std::pair{api::NfType::AMF, api::NfType::SMF}}) {
    EXPECT_TRUE(types.contains(wanted)) << api::to_string(wanted.first) << " -> "
                                        << api::to_string(wanted.second) << " not in the samples";
  }

  const auto now = std::chrono::system_clock::now();
  const auto domain_ca = trust_domain_ca();
  const auto other_ca = crypto::CertificateAuthority::create_self_signed(
      crypto::KeyAlgorithm::EcdsaP256, {"FR", "another operator", "", "other CA"}, 24h * 30,
      now - 1h);

  for (const auto& [consumer, producer] : all) {
    const auto label = label_of(*consumer, *producer);
    std::cout << "TLS pair " << label << " dialing " << producer->dial_name << " ("
              << api::to_string(producer->tls.mode) << ")\n";
    SCOPED_TRACE(label + " dialing " + producer->dial_name);
    const auto options = options_of(*producer);

    // 1. The issued material as written: the handshake succeeds with hostname verification,
    // ALPN h2, and (mutual TLS) the consumer's certificate accepted.
    {
      const auto outcome = handshake(producer->party, options, consumer->party, *consumer,
                                     producer->dial_name, label + "-ok");
      EXPECT_EQ(outcome.client.exit_code, 0) << outcome.client.output << outcome.server_log;
      EXPECT_TRUE(outcome.client.served()) << outcome.client.output << outcome.server_log;
      EXPECT_TRUE(outcome.client.alpn_h2()) << outcome.client.output;
      EXPECT_NE(outcome.client.output.find("Verify return code: 0 (ok)"), std::string::npos);
    }
    // 2. A name the producer's certificate does not hold: the consumer refuses.
    {
      const auto outcome = handshake(producer->party, options, consumer->party, *consumer,
                                     "not-" + producer->dial_name, label + "-wrong-name");
      EXPECT_NE(outcome.client.exit_code, 0);
      EXPECT_FALSE(outcome.client.served()) << outcome.client.output;
      EXPECT_NE(outcome.client.output.find("hostname mismatch"), std::string::npos)
          << outcome.client.output;
    }
    // 3. The producer presents a certificate with its names from another CA: refused.
    {
      const auto foreign = issue(other_ca, producer->identity, now - 1h, now + 24h, work_,
                                 label + "-foreign-server", producer->party.trust_bundle);
      const auto outcome = handshake(foreign, options, consumer->party, *consumer,
                                     producer->dial_name, label + "-foreign-server");
      EXPECT_NE(outcome.client.exit_code, 0);
      EXPECT_FALSE(outcome.client.served()) << outcome.client.output;
      EXPECT_NE(outcome.client.output.find("unable to get local issuer certificate"),
                std::string::npos)
          << outcome.client.output;
    }
    // 4. The producer's certificate expired (signed by the trust domain's CA): refused.
    {
      const auto expired = issue(domain_ca, producer->identity, now - 48h, now - 24h, work_,
                                 label + "-expired-server", producer->party.trust_bundle);
      const auto outcome = handshake(expired, options, consumer->party, *consumer,
                                     producer->dial_name, label + "-expired-server");
      EXPECT_NE(outcome.client.exit_code, 0);
      EXPECT_FALSE(outcome.client.served()) << outcome.client.output;
      EXPECT_NE(outcome.client.output.find("certificate has expired"), std::string::npos)
          << outcome.client.output;
    }
    // 5. Revocation with a CRL signed by the trust domain's CA (crypto::issue_crl): the
    // consumer checking an empty CRL still accepts the producer; one listing the producer's
    // certificate makes it refuse.
    const auto producer_leaf =
        crypto::Certificate::from_pem(read_text(producer->party.certificate));
    const auto consumer_leaf =
        crypto::Certificate::from_pem(read_text(consumer->party.certificate));
    const auto empty_crl = work_ / (label + "-empty.crl");
    write_text(empty_crl,
               crypto::issue_crl(
                   domain_ca,
                   {.revoked = {}, .this_update = now - 1min, .next_update = now + 1h, .number = 1})
                   .to_pem());
    const auto revoking_crl = work_ / (label + "-revoking.crl");
    write_text(revoking_crl,
               crypto::issue_crl(domain_ca, {.revoked = {{producer_leaf.serial_hex(), now - 1min},
                                                         {consumer_leaf.serial_hex(), now - 1min}},
                                             .this_update = now - 1min,
                                             .next_update = now + 1h,
                                             .number = 2})
                   .to_pem());
    {
      const auto outcome = handshake(producer->party, options, consumer->party, *consumer,
                                     producer->dial_name, label + "-crl-empty", empty_crl);
      EXPECT_TRUE(outcome.client.served()) << outcome.client.output << outcome.server_log;
    }
    {
      const auto outcome = handshake(producer->party, options, consumer->party, *consumer,
                                     producer->dial_name, label + "-revoked-server", revoking_crl);
      EXPECT_FALSE(outcome.client.served()) << outcome.client.output;
      EXPECT_NE(outcome.client.output.find("certificate revoked"), std::string::npos)
          << outcome.client.output;
    }
    if (!options.require_client_certificate) continue;
    // 6. The producer checking the CRL: an empty one accepts the consumer, one listing the
    // consumer's certificate refuses it.
    {
      auto checking = options;
      checking.crl = empty_crl;
      const auto outcome = handshake(producer->party, checking, consumer->party, *consumer,
                                     producer->dial_name, label + "-server-crl-empty");
      EXPECT_TRUE(outcome.client.served()) << outcome.client.output << outcome.server_log;
    }
    {
      auto checking = options;
      checking.crl = revoking_crl;
      const auto outcome = handshake(producer->party, checking, consumer->party, *consumer,
                                     producer->dial_name, label + "-revoked-client");
      EXPECT_FALSE(outcome.client.served()) << outcome.client.output;
      EXPECT_NE(outcome.server_log.find("certificate revoked"), std::string::npos)
          << outcome.server_log;
    }
    // 7. The consumer presents a certificate with its names from another CA: the producer
    // refuses it.
    {
      const auto foreign = issue(other_ca, consumer->identity, now - 1h, now + 24h, work_,
                                 label + "-foreign-client", consumer->party.trust_bundle);
      const auto outcome = handshake(producer->party, options, foreign, *consumer,
                                     producer->dial_name, label + "-foreign-client");
      EXPECT_FALSE(outcome.client.served()) << outcome.client.output;
      EXPECT_NE(outcome.server_log.find("unable to get local issuer certificate"),
                std::string::npos)
          << outcome.server_log;
    }
    // 8. The consumer's certificate expired (signed by the trust domain's CA): refused.
    {
      const auto expired = issue(domain_ca, consumer->identity, now - 48h, now - 24h, work_,
                                 label + "-expired-client", consumer->party.trust_bundle);
      const auto outcome = handshake(producer->party, options, expired, *consumer,
                                     producer->dial_name, label + "-expired-client");
      EXPECT_FALSE(outcome.client.served()) << outcome.client.output;
      EXPECT_NE(outcome.server_log.find("certificate has expired"), std::string::npos)
          << outcome.server_log;
    }
  }

  // 9. Revocation by the operator itself: the private key of a producer whose profile
  // enforces its material edited in its Secret, the operator reissues and revokes the
  // replaced certificate. The CRL it publishes, fetched over HTTP from its port
  // (/crl/<domain>.crl, DER), makes a consumer checking it refuse the replaced certificate
  // and accept its successor.
  const auto enforced = std::find_if(all.begin(), all.end(), [&](const auto& pair) {
    const auto parsed = api::parse_security_profile(profile(pair.second->party.name));
    return parsed.ok() && parsed.value().spec.drift_policy == api::DriftPolicy::Enforce;
  });
  ASSERT_NE(enforced, all.end()) << "no pair with a producer under driftPolicy Enforce";
  const auto& [consumer, producer] = *enforced;
  const auto label = label_of(*consumer, *producer) + "-operator-crl";
  SCOPED_TRACE(label);
  const auto replaced = crypto::Certificate::from_pem(read_text(producer->party.certificate));
  const auto parsed = api::parse_security_profile(profile(producer->party.name));
  ASSERT_TRUE(parsed.ok());
  const auto secret_name = render::tls_secret_name(parsed.value());
  client_->merge_patch(kube::resources::secrets(), namespace_, secret_name,
                       {{"data", {{"tls.key", crypto::base64_encode("tampered")}}}});
  ASSERT_TRUE(eventually(
      [&] {
        const auto tls = secret(secret_name);
        return crypto::Certificate::from_pem(decode(tls, std::string(render::kTlsCertificateKey)))
                       .serial_hex() != replaced.serial_hex() &&
               decode(tls, std::string(render::kTlsPrivateKeyKey)) != "tampered";
      },
      60s))
      << operators_[0]->log();
  const auto tls = secret(secret_name);
  const Party renewed{producer->party.name, work_ / (label + ".crt"), work_ / (label + ".key"),
                      producer->party.trust_bundle};
  write_text(renewed.certificate, decode(tls, std::string(render::kTlsCertificateKey)));
  write_text(renewed.key, decode(tls, std::string(render::kTlsPrivateKeyKey)));
  fs::permissions(renewed.key, fs::perms::owner_read | fs::perms::owner_write);
  const auto renewed_leaf = crypto::Certificate::from_pem(read_text(renewed.certificate));

  const auto der_file = work_ / (label + ".der");
  const auto published_crl = work_ / (label + ".crl");
  ASSERT_TRUE(eventually(
      [&] {
        std::string status;
        run_command("curl -s --max-time 5 -o " + der_file.string() +
                        " -w '%{http_code}' http://127.0.0.1:" + std::to_string(probe_port(0)) +
                        "/crl/" + trust_domain_ + ".crl",
                    &status);
        if (status != "200") return false;
        const auto der = read_text(der_file);
        std::string pem = "-----BEGIN X509 CRL-----\n";
        const auto base64 = crypto::base64_encode(der);
        for (std::size_t at = 0; at < base64.size(); at += 64) pem += base64.substr(at, 64) + "\n";
        pem += "-----END X509 CRL-----\n";
        try {
          const auto crl = crypto::CertificateRevocationList::from_pem(pem);
          if (!crl.revokes(replaced) || !crl.issued_by(domain_ca.certificate())) return false;
          write_text(published_crl, crl.to_pem());
          return true;
        } catch (const std::exception&) {
          return false;
        }
      },
      60s))
      << operators_[0]->log();
  {
    const auto outcome =
        handshake(producer->party, options_of(*producer), consumer->party, *consumer,
                  producer->dial_name, label + "-revoked", published_crl);
    EXPECT_FALSE(outcome.client.served()) << outcome.client.output;
    EXPECT_NE(outcome.client.output.find("certificate revoked"), std::string::npos)
        << outcome.client.output;
  }
  {
    const auto outcome = handshake(renewed, options_of(*producer), consumer->party, *consumer,
                                   producer->dial_name, label + "-renewed", published_crl);
    EXPECT_TRUE(outcome.client.served()) << outcome.client.output << outcome.server_log;
    EXPECT_EQ(renewed_leaf.crl_distribution_points().size(), 0u);
  }
}

}  // namespace
}  // namespace secprov::testing
