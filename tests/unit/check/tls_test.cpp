// TLS checks of an SBI consumer -> producer pair (AMF -> AUSF), table-driven, including
// effective capabilities from the native-limits table.

#include "check/tls.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "builders.h"
#include "render/native_limits.h"

namespace secprov::check {
namespace {

using nlohmann::json;
using testing::find_pair;
using testing::profile;
using testing::reasons;
using Reasons = std::vector<std::string>;

json merged(json a, const json& b) {
  a.merge_patch(b);
  return a;
}
json tls(const json& fields) {
  return {{"sbi", {{"tls", fields}}}};
}
const json kOpen5gs = {{"outputs", {{"open5gs", true}}}};
const json kFree5gc = {{"outputs", {{"free5gc", true}}}};
const json kSidecar = {
    {"enabler", {{"mode", "Sidecar"}, {"inbound", {{"port", 8000}, {"tlsPort", 8443}}}}}};
// The sidecar's one outbound peer: the profile `name` of namespace 5gc.
json outbound_to(const std::string& name) {
  return {{"enabler",
           {{"outbound",
             {{{"name", name},
               {"localPort", 9001},
               {"host", name + ".5gc.svc.cluster.local"},
               {"port", 8443}}}}}}};
}

struct Case {
  const char* name;
  json consumer;  // AMF spec patch
  json producer;  // AUSF spec patch
  Reasons expected;
  friend void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }
};

const Case kCases[] = {
    {"DefaultsMatch", json::object(), json::object(), {}},
    {"NoCommonVersion",
     tls({{"minVersion", "1.3"}}),
     tls({{"maxVersion", "1.2"}}),
     {"NoCommonTlsVersion"}},
    // Effective capability: Open5GS accepts TLS 1.3 whatever its profile says, so a TLS
    // 1.3-only consumer meets an Open5GS producer whose profile says 1.2 only.
    {"Open5gsProducerWithTls13OnlyConsumer",
     tls({{"minVersion", "1.3"}}),
     merged(tls({{"maxVersion", "1.2"}}), kOpen5gs),
     {}},
    {"Open5gsProducerWithTls13OnlyConsumerDefaults", tls({{"minVersion", "1.3"}}), kOpen5gs, {}},
    // An Open5GS server offers P-256 only, whatever its profile lists.
    {"X25519OnlyConsumerWithOpen5gsProducer",
     tls({{"groups", {"X25519"}}}),
     kOpen5gs,
     {"NoCommonTlsGroup"}},
    // ... unless the enabler sidecar enforces the profile in front of it.
    {"X25519OnlyConsumerWithOpen5gsProducerBehindEnabler",
     tls({{"groups", {"X25519"}}}),
     merged(kOpen5gs, kSidecar),
     {}},
    {"X25519OnlyConsumerWithP256OnlyProducer",
     tls({{"groups", {"X25519"}}}),
     tls({{"groups", {"secp256r1"}}}),
     {"NoCommonTlsGroup"}},
    {"NoCommonTls13Suite",
     tls({{"minVersion", "1.3"}, {"tls13CipherSuites", {"TLS_AES_128_GCM_SHA256"}}}),
     tls({{"tls13CipherSuites", {"TLS_AES_256_GCM_SHA384"}}}),
     {"NoCommonTlsSuite"}},
    // Suites in common, but only ECDSA ones, and the producer's key is RSA.
    {"Tls12EcdsaSuitesWithRsaProducer",
     tls({{"maxVersion", "1.2"},
          {"tls12CipherSuites", {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}}}),
     tls({{"certificate", {{"keyAlgorithm", "RSA-3072"}}}}),
     {"NoCommonTlsSuite"}},
    {"Tls12RsaSuitesWithRsaProducer",
     tls({{"maxVersion", "1.2"}, {"tls12CipherSuites", {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}}}),
     tls({{"certificate", {{"keyAlgorithm", "RSA-3072"}}}}),
     {}},
    // One suite-less version does not matter when the other has a suite in common.
    {"Tls12SuitesDisjointButTls13Common",
     tls({{"tls12CipherSuites", {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}}}),
     tls({{"tls12CipherSuites", {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}}}),
     {}},
    {"SchemeMismatch", tls({{"mode", "Disabled"}}), json::object(), {"SchemeMismatch"}},
    {"BothPlain", tls({{"mode", "Disabled"}}), tls({{"mode", "Disabled"}}), {}},
    {"ServerOnlyTlsProducerWithTlsConsumer", tls({{"mode", "TLS"}}), tls({{"mode", "TLS"}}), {}},
    // A free5GC client presents no certificate and verifies nothing.
    {"MutualTlsProducerWithFree5gcConsumer",
     kFree5gc,
     json::object(),
     {"ClientCertificateMissing", "ServerNotVerified"}},
    {"ServerOnlyTlsProducerWithFree5gcConsumer",
     kFree5gc,
     tls({{"mode", "TLS"}}),
     {"ServerNotVerified"}},
    // The sidecar originates the consumer's TLS only to its outbound peers; in front of the
    // NF alone (inbound), it leaves free5GC's own client dialling the producer.
    {"MutualTlsProducerWithFree5gcConsumerBehindEnabler",
     merged(merged(kFree5gc, kSidecar), outbound_to("ausf")),
     json::object(),
     {}},
    {"MutualTlsProducerWithFree5gcConsumerBehindInboundOnlyEnabler",
     merged(kFree5gc, kSidecar),
     json::object(),
     {"ClientCertificateMissing", "ServerNotVerified"}},
    {"MutualTlsProducerWithFree5gcConsumerWhoseEnablerGoesElsewhere",
     merged(merged(kFree5gc, kSidecar), outbound_to("udm")),
     json::object(),
     {"ClientCertificateMissing", "ServerNotVerified"}},
    {"DifferentTrustDomainsUnknownFingerprints",
     json::object(),
     {{"trustDomainRef", {{"name", "other"}}}},
     {"ServerIssuerUnknown", "ClientIssuerUnknown"}},
};

class TlsCases : public ::testing::TestWithParam<Case> {};

TEST_P(TlsCases, Reasons) {
  const auto& c = GetParam();
  Scope scope;
  scope.profiles = {profile("amf", "AMF", c.consumer), profile("ausf", "AUSF", c.producer)};
  const auto report = evaluate(scope);
  const auto* pair = find_pair(report, Interface::Sbi, "5gc/amf", "5gc/ausf");
  ASSERT_NE(pair, nullptr) << testing::dump(report);
  EXPECT_EQ(reasons(pair), c.expected) << testing::dump(report);
  const bool errors_or_warnings = std::any_of(c.expected.begin(), c.expected.end(), [](auto& r) {
    return r != "ServerIssuerUnknown" && r != "ClientIssuerUnknown";
  });
  EXPECT_EQ(pair->consistent(), !errors_or_warnings);
}

INSTANTIATE_TEST_SUITE_P(Sbi, TlsCases, ::testing::ValuesIn(kCases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Tls, MessagesNameThePeerTheInterfaceAndTheMismatch) {
  Scope scope;
  scope.profiles = {profile("amf", "AMF", tls({{"groups", {"X25519"}}})),
                    profile("ausf", "AUSF", kOpen5gs)};
  const auto report = evaluate(scope);
  const auto* pair = find_pair(report, Interface::Sbi, "5gc/amf", "5gc/ausf");
  ASSERT_NE(pair, nullptr);
  ASSERT_EQ(pair->findings.size(), 1u);
  const auto& f = pair->findings.front();
  EXPECT_EQ(f.check, "common_tls_group");
  EXPECT_EQ(f.severity, Severity::Error);
  EXPECT_EQ(f.message,
            "SBI 5gc/amf -> 5gc/ausf: no key-exchange group in common (consumer X25519, producer "
            "secp256r1) [5gc/ausf effective, native limits open5gs/TLSVersions, "
            "open5gs/CipherSuites, open5gs/KeyExchangeGroups]");
}

TEST(Tls, TrustByFingerprintAcrossDomainsAndDuringRotation) {
  Scope scope;
  scope.profiles = {profile("amf", "AMF"),
                    profile("ausf", "AUSF", {{"trustDomainRef", {{"name", "other"}}}})};
  scope.trust_domains = {{"home", {"AA:BB"}, {}}, {"other", {"cc", "aa:bb"}, {}}};
  // ausf trusts its previous CA (aa:bb, home's current) during a rotation; amf trusts only
  // home's CA and not other's new one.
  auto report = evaluate(scope);
  auto* pair = find_pair(report, Interface::Sbi, "5gc/amf", "5gc/ausf");
  ASSERT_NE(pair, nullptr);
  EXPECT_EQ(reasons(pair), (Reasons{"ServerIssuerNotTrusted"})) << testing::dump(report);
  EXPECT_NE(pair->findings.front().message.find("sha256:cc"), std::string::npos);

  scope.trust_domains = {{"home", {"aa"}, {}}, {"other", {"bb"}, {}}};
  report = evaluate(scope);
  EXPECT_EQ(reasons(find_pair(report, Interface::Sbi, "5gc/amf", "5gc/ausf")),
            (Reasons{"ServerIssuerNotTrusted", "ClientIssuerNotTrusted"}));
}

TEST(Tls, DialledNameFromTheEnablerOutboundMustBeInTheProducersSan) {
  auto outbound = [](const std::string& host) {
    return json{{"enabler",
                 {{"mode", "Sidecar"},
                  {"outbound",
                   {{{"name", "ausf"}, {"localPort", 9001}, {"host", host}, {"port", 8443}}}}}}};
  };
  Scope scope;
  scope.profiles = {profile("amf", "AMF", outbound("ausf.5gc.svc.cluster.local")),
                    profile("ausf", "AUSF")};
  EXPECT_EQ(reasons(find_pair(evaluate(scope), Interface::Sbi, "5gc/amf", "5gc/ausf")), Reasons{});
  scope.profiles[0] = profile("amf", "AMF", outbound("ausf.example.org"));
  const auto report = evaluate(scope);
  EXPECT_EQ(reasons(find_pair(report, Interface::Sbi, "5gc/amf", "5gc/ausf")),
            (Reasons{"DialledNameNotInSan"}))
      << testing::dump(report);
}

TEST(Tls, ExternalOpen5gsProducerComparesItsEffectiveCapability) {
  ExternalPeer udm;
  udm.name = "udm-lab";
  udm.type = api::NfType::UDM;
  udm.implementation = api::NfImplementation::Open5GS;
  udm.tls.groups = {api::TlsGroup::X25519};  // what its profile would say; Open5GS ignores it
  udm.dns_names = {"udm.lab.example"};
  udm.issuer_fingerprint = "aa";
  udm.trusted_fingerprints = {"aa"};
  Scope scope;
  scope.trust_domains = {{"home", {"aa"}, {}}};
  scope.profiles = {profile("amf", "AMF", tls({{"groups", {"X25519"}}}))};
  scope.external_peers = {udm};
  auto report = evaluate(scope);
  EXPECT_EQ(reasons(find_pair(report, Interface::Sbi, "5gc/amf", "external/udm-lab")),
            (Reasons{"NoCommonTlsGroup"}))
      << testing::dump(report);
  // Without the implementation, its stated parameters are taken as they are.
  scope.external_peers[0].implementation.reset();
  report = evaluate(scope);
  EXPECT_EQ(reasons(find_pair(report, Interface::Sbi, "5gc/amf", "external/udm-lab")), Reasons{});
}

TEST(Tls, EveryNativeEffectIsARowOfTheNativeLimitsTable) {
  for (const auto& effect : native_tls_effects()) {
    const auto rows = render::native_limits();
    EXPECT_TRUE(std::any_of(
        rows.begin(), rows.end(),
        [&](const auto& row) { return row.output == effect.output && row.code == effect.code; }))
        << render::output_name(effect.output) << "/" << effect.code;
  }
}

TEST(Tls, ChecksAreNamedPureFunctions) {
  TlsEnd client;
  client.id = "c";
  client.versions = {api::TlsVersion::V1_3};
  TlsEnd server = client;
  server.id = "s";
  server.versions = {api::TlsVersion::V1_2};
  const TlsPair pair{"SBI", client, server, ""};
  const auto f = common_tls_version(pair);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->reason, "NoCommonTlsVersion");
  EXPECT_EQ(f->message, "SBI c -> s: no TLS version in common (consumer 1.3, producer 1.2)");
  EXPECT_FALSE(same_scheme(pair).has_value());
}

}  // namespace
}  // namespace secprov::check
