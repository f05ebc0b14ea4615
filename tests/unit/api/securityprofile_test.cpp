#include "api/securityprofile.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace secprov::api {
namespace {

using nlohmann::json;
using testing::HasError;
using testing::NoErrors;
using namespace std::chrono;

json minimal() {
  return json::parse(R"({
    "apiVersion": "secprov.io/v1alpha1",
    "kind": "SecurityProfile",
    "metadata": {"name": "amf", "namespace": "5gc", "uid": "u-1", "generation": 3,
                 "resourceVersion": "42", "labels": {"a": "b"}},
    "spec": {
      "nfType": "AMF",
      "selector": {"matchLabels": {"app": "amf"}},
      "trustDomainRef": {"name": "mnc001-mcc001"}
    }
  })");
}

// minimal() with `value` set at JSON pointer `ptr`.
json with(const std::string& ptr, json value) {
  json j = minimal();
  j[json::json_pointer(ptr)] = std::move(value);
  return j;
}

json sepp_with_n32() {
  json j = with("/spec/nfType", "SEPP");
  j["spec"]["n32"] = {{"capability", "TLS"},
                      {"peers",
                       {{{"name", "mnc002-mcc002"},
                         {"fqdn", "sepp.5gc.mnc002.mcc002.3gppnetwork.org"},
                         {"plmns", {{{"mcc", "002"}, {"mnc", "02"}}}},
                         {"trustAnchorRef", {{"name", "mnc002-roots"}}}}}}};
  return j;
}

json with_ipsec(json itf) {
  json j = minimal();
  j["spec"]["ipsec"]["interfaces"] = json::array({std::move(itf)});
  return j;
}

json n2(json peers = json::array({{{"name", "gnb-1"}, {"address", "10.0.0.1"}}})) {
  return json{{"name", "N2"}, {"peers", std::move(peers)}};
}

// ------------------------------------------------------------ parse + defaults

TEST(SecurityProfileParse, MinimalProfileGetsAllDefaults) {
  auto r = parse_security_profile(minimal());
  ASSERT_TRUE(r.ok()) << testing::dump(r.errors());
  const SecurityProfile& p = r.value();
  EXPECT_EQ(p.metadata.name, "amf");
  EXPECT_EQ(p.metadata.namespace_, "5gc");
  EXPECT_EQ(p.metadata.uid, "u-1");
  EXPECT_EQ(p.metadata.generation, 3);
  EXPECT_EQ(p.metadata.resource_version, "42");
  const auto& s = p.spec;
  EXPECT_EQ(s.nf_type, NfType::AMF);
  EXPECT_FALSE(s.nf_instance_id.has_value());
  EXPECT_EQ(s.selector.match_labels.at("app"), "amf");
  EXPECT_EQ(s.trust_domain_ref.name, "mnc001-mcc001");
  const auto& t = s.sbi.tls;
  EXPECT_EQ(t.mode, TlsMode::MutualTLS);
  EXPECT_EQ(t.min_version, TlsVersion::V1_2);
  EXPECT_EQ(t.max_version, TlsVersion::V1_3);
  EXPECT_EQ(t.tls12_cipher_suites,
            (Tls12CipherSuites{Tls12CipherSuite::ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                               Tls12CipherSuite::ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                               Tls12CipherSuite::ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                               Tls12CipherSuite::ECDHE_RSA_WITH_AES_256_GCM_SHA384}));
  EXPECT_EQ(t.tls13_cipher_suites, (Tls13CipherSuites{Tls13CipherSuite::AES_128_GCM_SHA256,
                                                      Tls13CipherSuite::AES_256_GCM_SHA384,
                                                      Tls13CipherSuite::CHACHA20_POLY1305_SHA256}));
  EXPECT_EQ(t.groups, (TlsGroups{TlsGroup::X25519, TlsGroup::secp256r1, TlsGroup::secp384r1}));
  EXPECT_EQ(t.certificate.key_algorithm, KeyAlgorithm::EcdsaP256);
  EXPECT_EQ(t.certificate.duration, "2160h");
  EXPECT_EQ(t.certificate.renew_before, "720h");
  EXPECT_EQ(t.certificate.rotation_policy, RotationPolicy::Always);
  EXPECT_FALSE(t.certificate.service_name.has_value());
  EXPECT_TRUE(t.certificate.extra_dns_names.empty());
  EXPECT_FALSE(s.sbi.oauth2.has_value());
  EXPECT_FALSE(s.ipsec.has_value());
  EXPECT_FALSE(s.n32.has_value());
  EXPECT_FALSE(s.outputs.open5gs);
  EXPECT_FALSE(s.outputs.free5gc);
  EXPECT_EQ(s.drift_policy, DriftPolicy::Enforce);
  EXPECT_EQ(s.deletion_policy, DeletionPolicy::Delete);
  EXPECT_TRUE(NoErrors(validate(p)));
  // C++-side defaults
  EXPECT_EQ(effective_service_name(p), "amf");
  EXPECT_EQ(certificate_duration(p), hours(2160));
  EXPECT_EQ(certificate_renew_before(p), hours(720));
  EXPECT_FALSE(effective_nf_instance_id(p).has_value());
}

TEST(SecurityProfileParse, NestedDefaultsApplyInsidePresentObjects) {
  json j = minimal();
  j["spec"]["sbi"]["oauth2"] = {{"enabled", false}};
  j["spec"]["ipsec"]["interfaces"] = json::array({n2()});
  j["spec"]["nfType"] = "SEPP";
  j["spec"]["n32"] = json::object();
  auto r = parse_security_profile(j);
  ASSERT_TRUE(r.ok()) << testing::dump(r.errors());
  const auto& o = *r->spec.sbi.oauth2;
  EXPECT_EQ(o.role, OAuth2Role::Both);
  EXPECT_EQ(o.accepted_algorithms,
            (std::vector<JwsAlgorithm>{JwsAlgorithm::ES256, JwsAlgorithm::RS256}));
  const auto& i = r->spec.ipsec->interfaces.at(0);
  EXPECT_EQ(i.mode, IpsecMode::Tunnel);
  EXPECT_EQ(i.authentication, IpsecAuthentication::Certificate);
  EXPECT_EQ(i.ike.proposals, (std::vector<std::string>{"aes256gcm16-prfsha384-ecp384",
                                                       "aes128gcm16-prfsha256-ecp256"}));
  EXPECT_EQ(i.ike.lifetime, "24h");
  EXPECT_EQ(i.esp.proposals,
            (std::vector<std::string>{"aes256gcm16-ecp384", "aes128gcm16-ecp256"}));
  EXPECT_EQ(i.esp.lifetime, "8h");
  EXPECT_EQ(r->spec.n32->capability, N32Capability::TLS);
  EXPECT_FALSE(r->spec.n32->jwe_cipher_suites.has_value());
}

TEST(SecurityProfileParse, ExplicitValuesOverrideDefaults) {
  json j = minimal();
  j["spec"]["sbi"]["tls"] = {{"mode", "TLS"},
                             {"minVersion", "1.3"},
                             {"tls13CipherSuites", {"TLS_AES_256_GCM_SHA384"}},
                             {"groups", {"secp384r1"}},
                             {"certificate",
                              {{"keyAlgorithm", "RSA-3072"},
                               {"duration", "8760h"},
                               {"renewBefore", "1h30m"},
                               {"serviceName", "amf-sbi"},
                               {"extraDnsNames", {"amf.5gc.example.org", "*.amf.example.org"}},
                               {"rotationPolicy", "Never"}}}};
  j["spec"]["nfInstanceId"] = "6F1E4C2A-8D3B-4A57-9C0E-2B7D5F1A9E31";
  j["spec"]["outputs"] = {{"open5gs", true}};
  j["spec"]["driftPolicy"] = "Report";
  j["spec"]["deletionPolicy"] = "Retain";
  auto r = parse_security_profile(j);
  ASSERT_TRUE(r.ok()) << testing::dump(r.errors());
  const auto& t = r->spec.sbi.tls;
  EXPECT_EQ(t.mode, TlsMode::TLS);
  EXPECT_EQ(t.min_version, TlsVersion::V1_3);
  EXPECT_EQ(t.max_version, TlsVersion::V1_3);
  EXPECT_EQ(t.tls13_cipher_suites, Tls13CipherSuites{Tls13CipherSuite::AES_256_GCM_SHA384});
  EXPECT_EQ(t.groups, TlsGroups{TlsGroup::secp384r1});
  EXPECT_EQ(t.certificate.key_algorithm, KeyAlgorithm::Rsa3072);
  EXPECT_EQ(t.certificate.rotation_policy, RotationPolicy::Never);
  EXPECT_EQ(effective_service_name(r.value()), "amf-sbi");
  EXPECT_EQ(certificate_renew_before(r.value()), seconds(5400));
  EXPECT_TRUE(r->spec.outputs.open5gs);
  EXPECT_FALSE(r->spec.outputs.free5gc);
  EXPECT_EQ(r->spec.drift_policy, DriftPolicy::Report);
  EXPECT_EQ(r->spec.deletion_policy, DeletionPolicy::Retain);
  EXPECT_EQ(effective_nf_instance_id(r.value()), "6F1E4C2A-8D3B-4A57-9C0E-2B7D5F1A9E31");
  EXPECT_TRUE(NoErrors(validate(r.value())));
}

TEST(SecurityProfileParse, NullMeansAbsent) {
  json j = minimal();
  j["spec"]["sbi"] = {{"tls", {{"mode", nullptr}, {"groups", nullptr}}}};
  j["spec"]["ipsec"] = nullptr;
  auto r = parse_security_profile(j);
  ASSERT_TRUE(r.ok()) << testing::dump(r.errors());
  EXPECT_EQ(r->spec.sbi.tls.mode, TlsMode::MutualTLS);
  EXPECT_EQ(r->spec.sbi.tls.groups.size(), 3u);
  EXPECT_FALSE(r->spec.ipsec.has_value());
}

TEST(SecurityProfileParse, RequiredFields) {
  json j = minimal();
  j["spec"].erase("nfType");
  j["spec"].erase("selector");
  j["spec"]["trustDomainRef"] = json::object();
  const auto errs = check_security_profile(j);
  EXPECT_TRUE(HasError(errs, "spec.nfType", "Required"));
  EXPECT_TRUE(HasError(errs, "spec.selector", "Required"));
  EXPECT_TRUE(HasError(errs, "spec.trustDomainRef.name", "Required"));
  EXPECT_TRUE(HasError(check_security_profile(json::object()), "spec", "Required"));
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/selector", json::object())),
                       "spec.selector.matchLabels", "Required"));
}

TEST(SecurityProfileParse, TypeErrors) {
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/nfType", 5)), "spec.nfType", "string"));
  EXPECT_TRUE(
      HasError(check_security_profile(with("/spec/sbi/tls", "yes")), "spec.sbi.tls", "object"));
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/outputs/open5gs", "true")),
                       "spec.outputs.open5gs", "boolean"));
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/sbi/tls/groups", "X25519")),
                       "spec.sbi.tls.groups", "array"));
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/selector/matchLabels/app", 1)),
                       "spec.selector.matchLabels.app", "string"));
  EXPECT_TRUE(HasError(check_security_profile(json::array()), "<root>", "object"));
}

TEST(SecurityProfileParse, RejectsWrongApiVersionAndKind) {
  EXPECT_TRUE(HasError(check_security_profile(with("/apiVersion", "secprov.io/v1")), "apiVersion"));
  EXPECT_TRUE(HasError(check_security_profile(with("/kind", "TrustDomain")), "kind"));
}

// ------------------------------------------------------------ unknown fields

TEST(SecurityProfileUnknownFields, AreRejectedAtEveryDepth) {
  for (const auto& [ptr, field] : std::vector<std::pair<std::string, std::string>>{
           {"/spec/foo", "spec.foo"},
           {"/spec/sbi/tls/ciphers", "spec.sbi.tls.ciphers"},
           {"/spec/sbi/tls/certificate/keySize", "spec.sbi.tls.certificate.keySize"},
           {"/spec/selector/matchExpressions", "spec.selector.matchExpressions"},
           {"/spec/trustDomainRef/namespace", "spec.trustDomainRef.namespace"},
           {"/spec/outputs/oai", "spec.outputs.oai"},
           {"/extra", "extra"}}) {
    EXPECT_TRUE(HasError(check_security_profile(with(ptr, "x")), field, "unknown field")) << ptr;
  }
  json j = with_ipsec(n2());
  j["spec"]["ipsec"]["interfaces"][0]["peers"][0]["port"] = 500;
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.ipsec.interfaces[0].peers[0].port",
                       "unknown field"));
}

TEST(SecurityProfileUnknownFields, MetadataAndStatusExtrasAreTolerated) {
  json j = minimal();
  j["metadata"]["managedFields"] = json::array();
  j["status"] = {{"observedGeneration", 1}, {"futureField", true}};
  EXPECT_TRUE(NoErrors(check_security_profile(j)));
}

// ------------------------------------------------------------ nfType / nfInstanceId

TEST(SecurityProfileRules, NfTypeMustBeTs29510) {
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/nfType", "AMFF")), "spec.nfType",
                       "Unsupported value: \"AMFF\""));
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/nfType", "amf")), "spec.nfType"));
  for (const char* ok : {"AMF", "SMF", "UPF", "NRF", "SEPP", "SCP", "5G_EIR"}) {
    EXPECT_TRUE(NoErrors(check_security_profile(with("/spec/nfType", ok)))) << ok;
  }
}

TEST(SecurityProfileRules, NfInstanceIdMustBeUuid) {
  for (const char* bad :
       {"6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e3", "6f1e4c2a8d3b4a579c0e2b7d5f1a9e31",
        "6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e3g", "{6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31}",
        "urn:uuid:6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31", ""}) {
    EXPECT_TRUE(
        HasError(check_security_profile(with("/spec/nfInstanceId", bad)), "spec.nfInstanceId"))
        << bad;
  }
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/nfInstanceId", "x")), "spec.nfInstanceId",
                       "should match"));
  for (const char* ok :
       {"6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31", "6F1E4C2A-8D3B-4A57-9C0E-2B7D5F1A9E31"}) {
    EXPECT_TRUE(NoErrors(check_security_profile(with("/spec/nfInstanceId", ok)))) << ok;
  }
}

// ------------------------------------------------------------ TLS

TEST(SecurityProfileRules, TlsVersionsAtLeast12) {
  for (const char* bad : {"1.0", "1.1", "SSLv3", "1.4"}) {
    EXPECT_TRUE(HasError(check_security_profile(with("/spec/sbi/tls/minVersion", bad)),
                         "spec.sbi.tls.minVersion", "Unsupported value"))
        << bad;
  }
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/sbi/tls/maxVersion", "1.1")),
                       "spec.sbi.tls.maxVersion"));
  EXPECT_TRUE(NoErrors(check_security_profile(with("/spec/sbi/tls/minVersion", "1.3"))));
  EXPECT_TRUE(NoErrors(check_security_profile(with("/spec/sbi/tls/maxVersion", "1.2"))));
}

TEST(SecurityProfileRules, MinVersionNotAboveMaxVersion) {
  json j = with("/spec/sbi/tls/minVersion", "1.3");
  j["spec"]["sbi"]["tls"]["maxVersion"] = "1.2";
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.sbi.tls.minVersion",
                       "spec.sbi.tls.minVersion must not be greater than maxVersion"));
  j["spec"]["sbi"]["tls"]["maxVersion"] = "1.3";
  EXPECT_TRUE(NoErrors(check_security_profile(j)));
}

TEST(SecurityProfileRules, Tls12SuitesOnlyFromTheAllowList) {
  for (const char* bad :
       {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_NULL_SHA256",
        "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", "ECDHE-ECDSA-AES128-GCM-SHA256"}) {
    json j = with("/spec/sbi/tls/tls12CipherSuites",
                  json::array({"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", bad}));
    EXPECT_TRUE(HasError(check_security_profile(j), "spec.sbi.tls.tls12CipherSuites[1]",
                         "Unsupported value"))
        << bad;
  }
  EXPECT_TRUE(NoErrors(check_security_profile(
      with("/spec/sbi/tls/tls12CipherSuites",
           json::array({"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"})))));
}

TEST(SecurityProfileRules, Tls13SuitesAndGroupsOnlyFromTheAllowList) {
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/sbi/tls/tls13CipherSuites",
                                                   json::array({"TLS_AES_128_CCM_8_SHA256"}))),
                       "spec.sbi.tls.tls13CipherSuites[0]"));
  EXPECT_TRUE(
      HasError(check_security_profile(with("/spec/sbi/tls/groups", json::array({"ffdhe2048"}))),
               "spec.sbi.tls.groups[0]"));
  // TLS 1.3 only: the groups need not hold the certificate's curve (the rule below).
  json tls13 = with("/spec/sbi/tls/groups", json::array({"X448", "secp521r1"}));
  tls13["spec"]["sbi"]["tls"]["minVersion"] = "1.3";
  EXPECT_TRUE(NoErrors(check_security_profile(tls13)));
}

// Rule Tls12EcdsaCurveInGroups (RFC 8422 5.1): with TLS 1.2 allowed, the groups must hold the
// curve of an ECDSA certificate, else no TLS 1.2 handshake between two such peers succeeds.
TEST(SecurityProfileRules, Tls12EcdsaCertificateCurveMustBeInGroups) {
  struct Case {
    const char* name;
    json tls;
    const char* missing;  // the group the error names; nullptr: no error
  };
  const std::vector<Case> cases = {
      {"default P-256, X25519 only", {{"groups", {"X25519"}}}, "secp256r1"},
      {"P-256 with secp384r1 only", {{"groups", {"secp384r1", "X25519"}}}, "secp256r1"},
      {"P-384 without secp384r1",
       {{"groups", {"X25519", "secp256r1"}}, {"certificate", {{"keyAlgorithm", "ECDSA-P384"}}}},
       "secp384r1"},
      {"TLS 1.2 only, P-256 missing",
       {{"maxVersion", "1.2"}, {"groups", {"X25519", "secp384r1"}}},
       "secp256r1"},
      {"defaults hold secp256r1", json::object(), nullptr},
      {"P-256 listed", {{"groups", {"X25519", "secp256r1"}}}, nullptr},
      {"P-384 listed",
       {{"groups", {"secp384r1"}}, {"certificate", {{"keyAlgorithm", "ECDSA-P384"}}}},
       nullptr},
      {"TLS 1.3 only", {{"minVersion", "1.3"}, {"groups", {"X25519"}}}, nullptr},
      {"RSA key",
       {{"groups", {"X25519"}}, {"certificate", {{"keyAlgorithm", "RSA-2048"}}}},
       nullptr},
      {"TLS disabled", {{"mode", "Disabled"}, {"groups", {"X25519"}}}, nullptr},
  };
  for (const auto& c : cases) {
    const auto errs = check_security_profile(with("/spec/sbi/tls", c.tls));
    if (c.missing == nullptr) {
      EXPECT_TRUE(NoErrors(errs)) << c.name;
      continue;
    }
    ASSERT_EQ(errs.size(), 1u) << c.name << testing::dump(errs);
    EXPECT_EQ(errs[0].field, "spec.sbi.tls.groups") << c.name;
    EXPECT_EQ(errs[0].type, FieldErrorType::Invalid) << c.name;
    EXPECT_NE(errs[0].reason.find(std::string("must contain ") + c.missing), std::string::npos)
        << c.name << ": " << errs[0].reason;
    EXPECT_NE(errs[0].reason.find("RFC 8422"), std::string::npos) << errs[0].reason;
  }
}

TEST(SecurityProfileRules, SuiteListsAreNonEmptySets) {
  EXPECT_TRUE(
      HasError(check_security_profile(with("/spec/sbi/tls/tls12CipherSuites", json::array())),
               "spec.sbi.tls.tls12CipherSuites", "at least 1"));
  EXPECT_TRUE(HasError(
      check_security_profile(with("/spec/sbi/tls/groups", json::array({"X25519", "X25519"}))),
      "spec.sbi.tls.groups[1]", "Duplicate"));
}

// More items than the CRD's maxItems are refused by the parse itself (the lists are held in
// place up to that bound), with the API server's wording and the list's path.
TEST(SecurityProfileRules, SuiteListsAreBoundedByTheCrdsMaxItems) {
  const json tls12 = json::array(
      {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
       "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
       "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
       "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
       "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"});
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/sbi/tls/tls12CipherSuites", tls12)),
                       "spec.sbi.tls.tls12CipherSuites", "Too many: 9: must have at most 8 items"));
  const json tls13 = json::array({"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                  "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"});
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/sbi/tls/tls13CipherSuites", tls13)),
                       "spec.sbi.tls.tls13CipherSuites", "Too many: 4: must have at most 3 items"));
  const json groups =
      json::array({"X25519", "secp256r1", "secp384r1", "X448", "secp521r1", "X25519"});
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/sbi/tls/groups", groups)),
                       "spec.sbi.tls.groups", "Too many: 6: must have at most 5 items"));
  // At the bound: read whole, in order.
  const json five = json::array({"secp521r1", "X448", "secp384r1", "secp256r1", "X25519"});
  const auto r = parse_security_profile(with("/spec/sbi/tls/groups", five));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->spec.sbi.tls.groups,
            (TlsGroups{TlsGroup::secp521r1, TlsGroup::X448, TlsGroup::secp384r1,
                       TlsGroup::secp256r1, TlsGroup::X25519}));
}

TEST(SecurityProfileRules, KeyAlgorithmRsaAtLeast2048) {
  const auto errs =
      check_security_profile(with("/spec/sbi/tls/certificate/keyAlgorithm", "RSA-1024"));
  EXPECT_TRUE(HasError(errs, "spec.sbi.tls.certificate.keyAlgorithm", "at least 2048 bits"));
  EXPECT_TRUE(HasError(errs, "spec.sbi.tls.certificate.keyAlgorithm", "keyAlgorithm RSA-1024"));
  EXPECT_TRUE(
      HasError(check_security_profile(with("/spec/sbi/tls/certificate/keyAlgorithm", "Ed25519")),
               "spec.sbi.tls.certificate.keyAlgorithm", "must be one of"));
  for (const char* ok : {"RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384"}) {
    EXPECT_TRUE(
        NoErrors(check_security_profile(with("/spec/sbi/tls/certificate/keyAlgorithm", ok))))
        << ok;
  }
}

TEST(SecurityProfileRules, DurationAtMostThreeYears) {
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/sbi/tls/certificate/duration", "26281h")),
                       "spec.sbi.tls.certificate.duration",
                       "spec.sbi.tls.certificate.duration must be at most 26280h (3 years)"));
  EXPECT_TRUE(
      HasError(check_security_profile(with("/spec/sbi/tls/certificate/duration", "26280h1s")),
               "spec.sbi.tls.certificate.duration"));
  EXPECT_TRUE(
      NoErrors(check_security_profile(with("/spec/sbi/tls/certificate/duration", "26280h"))));
  EXPECT_TRUE(
      NoErrors(check_security_profile(with("/spec/sbi/tls/certificate/duration", "1095h30m"))));
}

TEST(SecurityProfileRules, DurationAtLeastOneHourAndWellFormed) {
  json j = with("/spec/sbi/tls/certificate/duration", "59m");
  j["spec"]["sbi"]["tls"]["certificate"]["renewBefore"] = "10m";
  EXPECT_TRUE(
      HasError(check_security_profile(j), "spec.sbi.tls.certificate.duration", "at least 1h"));
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/sbi/tls/certificate/duration", "90d")),
                       "spec.sbi.tls.certificate.duration", "should match"));
  EXPECT_TRUE(HasError(check_security_profile(
                           with("/spec/sbi/tls/certificate/duration", std::string(33, '1') + "h")),
                       "spec.sbi.tls.certificate.duration", "Too long"));
}

TEST(SecurityProfileRules, RenewBeforeShorterThanDuration) {
  json j = with("/spec/sbi/tls/certificate/renewBefore", "2160h");
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.sbi.tls.certificate.renewBefore",
                       "spec.sbi.tls.certificate.renewBefore must be shorter than duration"));
  j["spec"]["sbi"]["tls"]["certificate"]["renewBefore"] = "3000h";
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.sbi.tls.certificate.renewBefore"));
  j["spec"]["sbi"]["tls"]["certificate"]["renewBefore"] = "2159h59m59s";
  EXPECT_TRUE(NoErrors(check_security_profile(j)));
  // exact comparison below one second, as CEL does
  j["spec"]["sbi"]["tls"]["certificate"]["duration"] = "2h0.5s";
  j["spec"]["sbi"]["tls"]["certificate"]["renewBefore"] = "2h";
  EXPECT_TRUE(NoErrors(check_security_profile(j)));
  j["spec"]["sbi"]["tls"]["certificate"]["renewBefore"] = "4m";
  EXPECT_TRUE(
      HasError(check_security_profile(j), "spec.sbi.tls.certificate.renewBefore", "at least 5m"));
}

TEST(SecurityProfileRules, CertificateNames) {
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/sbi/tls/certificate/serviceName", "AMF")),
                       "spec.sbi.tls.certificate.serviceName"));
  EXPECT_TRUE(
      HasError(check_security_profile(with("/spec/sbi/tls/certificate/extraDnsNames",
                                           json::array({"ok.example.org", "bad_name.org"}))),
               "spec.sbi.tls.certificate.extraDnsNames[1]"));
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/sbi/tls/certificate/extraDnsNames",
                                                   json::array({"a.org", "a.org"}))),
                       "spec.sbi.tls.certificate.extraDnsNames[1]", "Duplicate"));
  EXPECT_TRUE(NoErrors(check_security_profile(
      with("/spec/sbi/tls/certificate/extraDnsNames", json::array({"*.amf.example.org"})))));
}

// ------------------------------------------------------------ OAuth2

TEST(SecurityProfileRules, OAuth2EnabledNeedsNrfApiRoot) {
  json j = with("/spec/sbi/oauth2", {{"enabled", true}});
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.sbi.oauth2.nrfApiRoot",
                       "spec.sbi.oauth2.nrfApiRoot is required when oauth2 is enabled"));
  j["spec"]["sbi"]["oauth2"]["nrfApiRoot"] = "https://nrf.5gc.svc:8443/base";
  EXPECT_TRUE(NoErrors(check_security_profile(j)));
  EXPECT_TRUE(NoErrors(check_security_profile(with("/spec/sbi/oauth2", {{"enabled", false}}))));
}

TEST(SecurityProfileRules, OAuth2Fields) {
  json j = with("/spec/sbi/oauth2", {{"enabled", true}, {"nrfApiRoot", "http://nrf"}});
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.sbi.oauth2.nrfApiRoot", "should match"));
  j["spec"]["sbi"]["oauth2"]["nrfApiRoot"] = "https://nrf?x=1";
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.sbi.oauth2.nrfApiRoot"));
  j["spec"]["sbi"]["oauth2"]["nrfApiRoot"] = "https://nrf";
  j["spec"]["sbi"]["oauth2"]["nrfInstanceId"] = "nrf-1";
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.sbi.oauth2.nrfInstanceId"));
  j["spec"]["sbi"]["oauth2"].erase("nrfInstanceId");
  j["spec"]["sbi"]["oauth2"]["role"] = "Server";
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.sbi.oauth2.role"));
  j["spec"]["sbi"]["oauth2"]["role"] = "Producer";
  j["spec"]["sbi"]["oauth2"]["acceptedAlgorithms"] = {"none"};
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.sbi.oauth2.acceptedAlgorithms[0]"));
  j["spec"]["sbi"]["oauth2"]["acceptedAlgorithms"] = {"ES384", "PS256"};
  j["spec"]["sbi"]["oauth2"]["scopes"] = {"nnrf-disc", "bad scope"};
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.sbi.oauth2.scopes[1]"));
  j["spec"]["sbi"]["oauth2"]["scopes"] = {"nnrf-disc", "nudm-sdm:am-data"};
  EXPECT_TRUE(NoErrors(check_security_profile(j)));
}

// Issue 8 defect 6: TS 33.501 13.3.2.1, tokens only over TLS.
TEST(SecurityProfileRules, OAuth2NeedsTls) {
  const std::string message =
      "spec.sbi.oauth2.enabled needs spec.sbi.tls.mode TLS or MutualTLS: access tokens must travel "
      "over TLS (TS 33.501 13.3.2.1)";
  json j = with("/spec/sbi/oauth2", {{"enabled", true}, {"nrfApiRoot", "https://nrf"}});
  j["spec"]["sbi"]["tls"]["mode"] = "Disabled";
  const auto errs = check_security_profile(j);
  EXPECT_TRUE(HasError(errs, "spec.sbi.oauth2.enabled", message));
  EXPECT_EQ(errs.size(), 1u) << testing::dump(errs);
  for (const char* mode : {"TLS", "MutualTLS"}) {
    j["spec"]["sbi"]["tls"]["mode"] = mode;
    EXPECT_TRUE(NoErrors(check_security_profile(j))) << mode;
  }
  j["spec"]["sbi"]["tls"]["mode"] = "Disabled";
  j["spec"]["sbi"]["oauth2"]["enabled"] = false;
  EXPECT_TRUE(NoErrors(check_security_profile(j)));
}

// Issue 8 defect 6: scopes are TS 29.510 service names (optionally with a finer part).
TEST(SecurityProfileRules, OAuth2ScopesAreTs29510ServiceNames) {
  json j = with("/spec/sbi/oauth2", {{"enabled", true}, {"nrfApiRoot", "https://nrf"}});
  j["spec"]["sbi"]["oauth2"]["scopes"] = {"nnrf-disc",
                                          "namf-comm",
                                          "nsmf-pdusession",
                                          "nudm-sdm:am-data",
                                          "nsepp-telescopic",
                                          "npcf-am-policy-control",
                                          "nchf-convergedcharging",
                                          "nnwdaf-analyticsinfo"};
  EXPECT_TRUE(NoErrors(check_security_profile(j)));
  struct Bad {
    std::string scope, service;
  };
  for (const auto& [scope, service] : std::vector<Bad>{{"nnrf-discovery", "nnrf-discovery"},
                                                       {"NNRF-DISC", "NNRF-DISC"},
                                                       {"n32c-handshake", "n32c-handshake"},
                                                       {"namf:comm", "namf"},
                                                       {"openid", "openid"}}) {
    j["spec"]["sbi"]["oauth2"]["scopes"] = {"nnrf-disc", scope};
    const auto errs = check_security_profile(j);
    EXPECT_TRUE(HasError(errs, "spec.sbi.oauth2.scopes[1]",
                         "spec.sbi.oauth2.scopes: " + service +
                             " is not an NF service name of TS 29.510 (ServiceName, such as "
                             "nnrf-disc or namf-comm); a scope is a service name, optionally "
                             "followed by a colon and a finer-grained part"))
        << scope;
    EXPECT_EQ(errs.size(), 1u) << testing::dump(errs);
  }
  // Malformed: the pattern only (the CRD's rule is guarded by it).
  j["spec"]["sbi"]["oauth2"]["scopes"] = {"bad scope"};
  const auto errs = check_security_profile(j);
  ASSERT_EQ(errs.size(), 1u) << testing::dump(errs);
  EXPECT_NE(errs[0].reason.find("should match"), std::string::npos);
}

// ------------------------------------------------------------ IPsec

TEST(SecurityProfileRules, IpsecInterfaceNamesAndUniqueness) {
  json bad = n2();
  bad["name"] = "N6";
  EXPECT_TRUE(HasError(check_security_profile(with_ipsec(bad)), "spec.ipsec.interfaces[0].name"));
  json j = with_ipsec(n2());
  j["spec"]["ipsec"]["interfaces"].push_back(n2());
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.ipsec.interfaces[1]", "Duplicate"));
  EXPECT_TRUE(NoErrors(check_security_profile(with_ipsec(n2()))));
}

TEST(SecurityProfileRules, IpsecPeers) {
  EXPECT_TRUE(HasError(check_security_profile(with_ipsec(n2(json::array()))),
                       "spec.ipsec.interfaces[0].peers", "at least 1"));
  EXPECT_TRUE(HasError(check_security_profile(with_ipsec(n2(json::array({{{"name", "g"}}})))),
                       "spec.ipsec.interfaces[0].peers[0].address", "Required"));
  // (an all-digit name such as "010.0.0.1" is a syntactically valid FQDN for the CRD too)
  for (const char* bad : {"10.0.0.1/24", "::ffff:10.0.0.1", "fe80::1%eth0", "Gnb.Example.Org",
                          "gnb_1.example.org", "-gnb.example.org", ""}) {
    json peers = json::array({{{"name", "g"}, {"address", bad}}});
    EXPECT_TRUE(HasError(check_security_profile(with_ipsec(n2(peers))),
                         "spec.ipsec.interfaces[0].peers[0].address",
                         "address must be an IP address or a lowercase FQDN"))
        << bad;
  }
  for (const char* ok :
       {"10.0.0.1", "2001:db8::1", "::1", "gnb-1.ran.mnc001.mcc001.3gppnetwork.org", "gnb"}) {
    json peers = json::array({{{"name", "g"}, {"address", ok}}});
    EXPECT_TRUE(NoErrors(check_security_profile(with_ipsec(n2(peers))))) << ok;
  }
  json dup = json::array(
      {{{"name", "g"}, {"address", "10.0.0.1"}}, {{"name", "g"}, {"address", "10.0.0.2"}}});
  EXPECT_TRUE(HasError(check_security_profile(with_ipsec(n2(dup))),
                       "spec.ipsec.interfaces[0].peers[1]", "Duplicate"));
  json badname = json::array({{{"name", "GNB"}, {"address", "10.0.0.1"}}});
  EXPECT_TRUE(HasError(check_security_profile(with_ipsec(n2(badname))),
                       "spec.ipsec.interfaces[0].peers[0].name"));
}

TEST(SecurityProfileRules, IpsecLocalAddressAndTrafficSelectors) {
  json i = n2();
  i["localAddress"] = "gnb.example.org";
  EXPECT_TRUE(HasError(check_security_profile(with_ipsec(i)),
                       "spec.ipsec.interfaces[0].localAddress",
                       "localAddress must be an IPv4 or IPv6 address"));
  i["localAddress"] = "10.1.1.1";
  i["trafficSelectors"] = {{"local", {"10.1.0.0/16", "10.1.1.1"}}, {"remote", {"2001:db8::/129"}}};
  const auto errs = check_security_profile(with_ipsec(i));
  EXPECT_TRUE(HasError(errs, "spec.ipsec.interfaces[0].trafficSelectors.local[1]",
                       "traffic selector must be a CIDR"));
  EXPECT_TRUE(HasError(errs, "spec.ipsec.interfaces[0].trafficSelectors.remote[0]"));
  i["trafficSelectors"] = {{"local", {"10.1.0.0/16", "0.0.0.0/0"}}, {"remote", {"2001:db8::/64"}}};
  EXPECT_TRUE(NoErrors(check_security_profile(with_ipsec(i))));
  i["trafficSelectors"] = {{"local", {"10.1.0.0/016"}}};
  EXPECT_TRUE(HasError(check_security_profile(with_ipsec(i)),
                       "spec.ipsec.interfaces[0].trafficSelectors.local[0]"));
}

// Issue 8 defect 5: an allow-list token by token (strongSwan loads null, SHA-1 and MODP-1536,
// and discards the whole connection on an unknown token), then the structure strongSwan needs.
FieldErrors proposal_errors(const std::string& section, const std::string& proposal) {
  json i = n2();
  i[section] = {{"proposals", {proposal}}};
  FieldErrors out;
  for (auto& e : check_security_profile(with_ipsec(i))) {
    EXPECT_EQ(e.field, "spec.ipsec.interfaces[0]." + section + ".proposals[0]") << e.message();
    out.push_back(std::move(e));
  }
  return out;
}

TEST(SecurityProfileRules, IpsecProposalTokensFromTheNdsIpAllowListOnly) {
  const std::string ike = "spec.ipsec.interfaces[0].ike.proposals[0]";
  const std::string esp = "spec.ipsec.interfaces[0].esp.proposals[0]";
  struct Bad {
    std::string proposal, token;
  };
  // What the deny-list let through (null, SHA-1, MODP-1536, MODP-2048, AES-GCM with an 8-octet
  // ICV, aliases, typos), and what it refused.
  for (const auto& [proposal, token] :
       std::vector<Bad>{{"aes256-sha1-prfsha256-ecp256", "sha1"},
                        {"aes256gcm16-prfsha256-modp1536", "modp1536"},
                        {"aes256gcm16-prfsha256-modp2048", "modp2048"},
                        {"aes128gcm8-prfsha256-ecp256", "aes128gcm8"},
                        {"aes256gcm-prfsha256-ecp256", "aes256gcm"},
                        {"aes256-sha256-ecp521", "ecp521"},
                        {"aes256gcm16-prfsha1-ecp256", "prfsha1"},
                        {"aes256gcm16-prfsha256-curve25519", "curve25519"},
                        {"aes256gcm16-prfsha256-ecp25", "ecp25"},
                        {"3des-sha1-modp1024", "3des"}}) {
    EXPECT_TRUE(HasError(proposal_errors("ike", proposal), ike,
                         "ike.proposals: " + token +
                             " is not in the NDS/IP allow-list (TS 33.210), "
                             "which for IKE is aes128gcm16, aes256gcm16, aes128, aes256, sha256, "
                             "sha384, sha512, prfsha256, prfsha384, prfsha512, ecp256, ecp384, "
                             "modp3072, modp4096"))
        << proposal;
  }
  for (const auto& [proposal, token] :
       std::vector<Bad>{{"null-sha256", "null"},
                        {"aes256-sha1", "sha1"},
                        {"aes256gcm16-modp1536", "modp1536"},
                        {"aes256gcm16-prfsha256", "prfsha256"},  // strongSwan drops it
                        {"aes256gcm16-esn", "esn"}}) {
    EXPECT_TRUE(HasError(proposal_errors("esp", proposal), esp,
                         "esp.proposals: " + token +
                             " is not in the NDS/IP allow-list (TS 33.210), "
                             "which for ESP is aes128gcm16, aes256gcm16, aes128, aes256, sha256, "
                             "sha384, sha512, ecp256, ecp384, modp3072, modp4096"))
        << proposal;
  }
  // Only the first unknown token is named, as the CRD's messageExpression does.
  const auto two = proposal_errors("ike", "aes256gcm16-prfsha1-modp1024");
  EXPECT_TRUE(HasError(two, ike, "ike.proposals: prfsha1 is not"));
  EXPECT_FALSE(HasError(two, ike, "modp1024 is not"));
}

TEST(SecurityProfileRules, IpsecProposalStructureIsWhatStrongSwanNeeds) {
  const std::string ike = "spec.ipsec.interfaces[0].ike.proposals[0]";
  const std::string esp = "spec.ipsec.interfaces[0].esp.proposals[0]";
  for (const char* good :
       {"aes256gcm16-prfsha384-ecp384",
        "aes128gcm16-aes256gcm16-prfsha256-prfsha512-ecp256-modp3072", "aes128-sha256-modp3072",
        "aes256-sha512-prfsha384-modp4096", "sha384-ecp384-aes256"}) {
    EXPECT_TRUE(NoErrors(proposal_errors("ike", good))) << good;
  }
  for (const char* good :
       {"aes256gcm16", "aes128gcm16-ecp256", "aes128-sha256", "aes256-sha384-modp4096"}) {
    EXPECT_TRUE(NoErrors(proposal_errors("esp", good))) << good;
  }
  EXPECT_TRUE(HasError(proposal_errors("ike", "prfsha256-ecp256"), ike,
                       "ike.proposals: a proposal needs an encryption algorithm (aes128gcm16, "
                       "aes256gcm16, aes128 or aes256)"));
  EXPECT_TRUE(HasError(proposal_errors("esp", "sha256-ecp256"), esp,
                       "esp.proposals: a proposal needs an encryption algorithm"));
  EXPECT_TRUE(HasError(proposal_errors("ike", "aes256gcm16-aes256-sha256-prfsha256-ecp256"), ike,
                       "ike.proposals: AES-GCM (aes128gcm16, aes256gcm16) and AES-CBC (aes128, "
                       "aes256) cannot be combined in one proposal (strongSwan refuses it)"));
  EXPECT_TRUE(HasError(proposal_errors("ike", "aes256-prfsha256-ecp256"), ike,
                       "ike.proposals: AES-CBC (aes128, aes256) needs an integrity algorithm "
                       "(sha256, sha384 or sha512)"));
  // ESP too: NDS/IP never has encryption alone (strongSwan would load it).
  EXPECT_TRUE(HasError(proposal_errors("esp", "aes256-ecp256"), esp,
                       "esp.proposals: AES-CBC (aes128, aes256) needs an integrity algorithm"));
  EXPECT_TRUE(HasError(proposal_errors("esp", "aes256gcm16-sha256"), esp,
                       "esp.proposals: AES-GCM (aes128gcm16, aes256gcm16) protects integrity "
                       "itself: leave out sha256, sha384 and sha512 (strongSwan drops them)"));
  EXPECT_TRUE(HasError(proposal_errors("ike", "aes256gcm16-ecp384"), ike,
                       "ike.proposals: AES-GCM (aes128gcm16, aes256gcm16) needs a PRF (prfsha256, "
                       "prfsha384 or prfsha512)"));
  EXPECT_TRUE(HasError(proposal_errors("ike", "aes256-sha256"), ike,
                       "ike.proposals: a proposal needs a Diffie-Hellman group (ecp256, ecp384, "
                       "modp3072 or modp4096)"));
  // ESP without a DH group is fine (no PFS); the mixed proposal names only the mix.
  EXPECT_EQ(proposal_errors("esp", "aes256gcm16-aes128-sha256").size(), 1u);
  // Malformed: only the pattern (the CRD guards its rules with it).
  const auto malformed = proposal_errors("ike", "AES256-SHA384");
  ASSERT_EQ(malformed.size(), 1u);
  EXPECT_NE(malformed[0].reason.find("should match"), std::string::npos);
  EXPECT_EQ(proposal_errors("ike", "aes256--sha256").size(), 1u);
}

TEST(SecurityProfileRules, IpsecProposalListsAndLifetimes) {
  json i = n2();
  i["ike"] = {{"proposals", {"aes256-sha384-modp3072", "aes256gcm16-prfsha384-ecp384"}},
              {"lifetime", "4h"}};
  i["esp"] = {{"proposals", {"aes256gcm16-modp3072", "aes128gcm16"}}, {"lifetime", "1h"}};
  EXPECT_TRUE(NoErrors(check_security_profile(with_ipsec(i))));
  i["ike"]["proposals"] = json::array();
  EXPECT_TRUE(
      HasError(check_security_profile(with_ipsec(i)), "spec.ipsec.interfaces[0].ike.proposals"));
  i["ike"]["proposals"] = {"aes256gcm16-prfsha384-ecp384"};
  i["ike"]["lifetime"] = "1 day";
  EXPECT_TRUE(
      HasError(check_security_profile(with_ipsec(i)), "spec.ipsec.interfaces[0].ike.lifetime"));
}

TEST(SecurityProfileRules, PreSharedKeyOnN2AndN3OnlyWhenAllowed) {
  const std::string message =
      "authentication PreSharedKey on N2 and N3 needs allowPreSharedKey: true: TS 33.501 9.2 and "
      "9.3 ask for certificate-based IKEv2 authentication there";
  for (const char* name : {"N2", "N3"}) {
    json i = n2();
    i["name"] = name;
    i["authentication"] = "PreSharedKey";
    const auto errs = check_security_profile(with_ipsec(i));
    EXPECT_TRUE(HasError(errs, "spec.ipsec.interfaces[0].authentication", message)) << name;
    EXPECT_EQ(errs.size(), 1u) << name;
    i["allowPreSharedKey"] = false;
    EXPECT_TRUE(HasError(check_security_profile(with_ipsec(i)),
                         "spec.ipsec.interfaces[0].authentication", message))
        << name;
    i["allowPreSharedKey"] = true;
    EXPECT_TRUE(NoErrors(check_security_profile(with_ipsec(i)))) << name;
    i["authentication"] = "Certificate";
    i["allowPreSharedKey"] = false;
    EXPECT_TRUE(NoErrors(check_security_profile(with_ipsec(i)))) << name;
  }
  for (const char* name : {"N4", "N9", "Xn"}) {
    json i = n2();
    i["name"] = name;
    i["authentication"] = "PreSharedKey";
    EXPECT_TRUE(NoErrors(check_security_profile(with_ipsec(i)))) << name;
  }
  json i = n2();
  i["allowPreSharedKey"] = "yes";
  EXPECT_TRUE(HasError(check_security_profile(with_ipsec(i)),
                       "spec.ipsec.interfaces[0].allowPreSharedKey"));
  auto parsed = parse_security_profile(with_ipsec(n2()));
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->spec.ipsec->interfaces.at(0).allow_pre_shared_key);
}

TEST(SecurityProfileRules, IpsecOneSelectorPairPerPeerAndOneFamily) {
  const auto peer = [](const char* name, const char* address) {
    return json{{"name", name}, {"address", address}};
  };
  struct Case {
    std::string what;
    json itf;
    std::string field;  // "" when valid
    std::string text;
  };
  json shared = n2(json::array({peer("gnb-1", "10.0.0.1"), peer("gnb-2", "10.0.0.2")}));
  shared["trafficSelectors"] = {{"local", {"10.1.0.0/24"}}, {"remote", {"10.20.0.0/16"}}};
  json one_with_remote = n2();
  one_with_remote["trafficSelectors"] = {{"remote", {"10.20.0.0/16"}}};
  json local_only = n2(json::array({peer("gnb-1", "10.0.0.1"), peer("gnb-2", "10.0.0.2")}));
  local_only["trafficSelectors"] = {{"local", {"10.1.0.0/24"}}};
  const auto with_local = [](json itf, const char* local) {
    itf["localAddress"] = local;
    return itf;
  };
  const std::vector<Case> cases = {
      {"remote selectors shared by two peers", shared, "spec.ipsec.interfaces[0].peers[1]",
       "trafficSelectors.remote applies to every peer"},
      {"one IPv4 address twice",
       n2(json::array({peer("gnb-1", "10.0.0.1"), peer("gnb-2", "10.0.0.1")})),
       "spec.ipsec.interfaces[0].peers[1]", "must not have the same address"},
      {"one IPv6 address in two spellings",
       n2(json::array({peer("gnb-1", "2001:db8::1"), peer("gnb-2", "2001:DB8:0::1")})),
       "spec.ipsec.interfaces[0].peers[1]",
       "same traffic selectors as "
       "spec.ipsec.interfaces[0].peers[0] (gnb-1)"},
      {"one FQDN twice",
       n2(json::array({peer("gnb-1", "10.0.0.1"), peer("gnb-2", "gnb.example.org"),
                       peer("gnb-3", "gnb.example.org")})),
       "spec.ipsec.interfaces[0].peers[2]", "must not have the same address"},
      {"IPv4 localAddress, IPv6 peer",
       with_local(n2(json::array({peer("gnb-1", "10.0.0.1"), peer("gnb-2", "2001:db8::2")})),
                  "10.0.0.10"),
       "spec.ipsec.interfaces[0].peers[1].address", "of the IP family of localAddress"},
      {"IPv6 localAddress, IPv4 peer", with_local(n2(), "2001:db8::10"),
       "spec.ipsec.interfaces[0].peers[0].address", "IKE and ESP cannot cross families"},
      {"remote selectors with one peer", one_with_remote, "", ""},
      {"local selectors only: each peer's own address", local_only, "", ""},
      {"two FQDNs", n2(json::array({peer("a", "a.example.org"), peer("b", "b.example.org")})), "",
       ""},
      {"IPv4 localAddress, FQDN peer (family known once resolved)",
       with_local(n2(json::array({peer("gnb-1", "gnb.example.org")})), "10.0.0.10"), "", ""},
      {"IPv6 end to end",
       with_local(n2(json::array({peer("gnb-1", "2001:db8::1"), peer("gnb-2", "2001:db8::2")})),
                  "2001:db8::10"),
       "", ""},
      {"no localAddress, IPv6 peer", n2(json::array({peer("gnb-1", "2001:db8::1")})), "", ""},
  };
  for (const auto& c : cases) {
    const auto errs = check_security_profile(with_ipsec(c.itf));
    if (c.field.empty()) {
      EXPECT_TRUE(NoErrors(errs)) << c.what;
    } else {
      EXPECT_TRUE(HasError(errs, c.field, c.text)) << c.what;
      EXPECT_EQ(errs.size(), 1u) << c.what << "\n" << testing::dump(errs);
    }
  }
}

TEST(PeerTrafficSelectors, InterfaceSelectorsElseThePeersOwnAddress) {
  IpsecInterfaceSpec itf;
  const IpsecPeer v4{"a", "10.0.0.1", std::nullopt}, v6{"b", "2001:DB8:0::b", std::nullopt},
      fqdn{"c", "gnb.example.org", std::nullopt};
  EXPECT_EQ(peer_traffic_selectors(itf, v4), (PeerTrafficSelectors{{}, {"10.0.0.1/32"}}));
  EXPECT_EQ(peer_traffic_selectors(itf, v6), (PeerTrafficSelectors{{}, {"2001:db8::b/128"}}));
  EXPECT_EQ(peer_traffic_selectors(itf, fqdn), (PeerTrafficSelectors{}));  // dynamic
  itf.traffic_selectors = TrafficSelectors{{"10.1.0.0/24"}, {}};
  EXPECT_EQ(peer_traffic_selectors(itf, v4),
            (PeerTrafficSelectors{{"10.1.0.0/24"}, {"10.0.0.1/32"}}));
  itf.traffic_selectors->remote = {"10.20.0.0/16"};
  EXPECT_EQ(peer_traffic_selectors(itf, v4),
            (PeerTrafficSelectors{{"10.1.0.0/24"}, {"10.20.0.0/16"}}));
}

TEST(SecurityProfileRules, IpsecEnums) {
  json i = n2();
  i["mode"] = "BEET";
  EXPECT_TRUE(HasError(check_security_profile(with_ipsec(i)), "spec.ipsec.interfaces[0].mode"));
  i["mode"] = "Transport";
  i["authentication"] = "EAP";
  EXPECT_TRUE(
      HasError(check_security_profile(with_ipsec(i)), "spec.ipsec.interfaces[0].authentication"));
  i["authentication"] = "PreSharedKey";
  i["allowPreSharedKey"] = true;
  EXPECT_TRUE(NoErrors(check_security_profile(with_ipsec(i))));
}

// ------------------------------------------------------------ admission bounds (issue 6 §4)

// Only the errors on `field` (so a test can say "nothing else is wrong").
FieldErrors errors_on(const FieldErrors& errs, const std::string& field) {
  FieldErrors out;
  for (const auto& e : errs) {
    if (e.field == field) out.push_back(e);
  }
  return out;
}

TEST(SecurityProfileAdmission, NameIsADns1035LabelOfAtMost63) {
  const std::string max = "a" + std::string(61, '-') + "9";  // 63: starts with a letter
  for (const std::string& ok : {std::string("a"), std::string("amf"), std::string("amf-2"), max}) {
    EXPECT_TRUE(NoErrors(check_security_profile(with("/metadata/name", ok)))) << ok;
  }
  for (const std::string& bad :
       {max + "0", std::string("amf.v2"), std::string("1amf"), std::string("amf-"),
        std::string("-amf"), std::string("Amf"), std::string("amf_2"), std::string(300, 'a')}) {
    const auto errs = check_security_profile(with("/metadata/name", bad));
    EXPECT_TRUE(HasError(errs, "metadata.name", "metadata.name must be a DNS-1035 label")) << bad;
    EXPECT_EQ(errs.size(), 1u) << bad << testing::dump(errs);
  }
  // No name: the apiserver requires one (or generates it) before the CRD's rule runs.
  json unnamed = minimal();
  unnamed["metadata"].erase("name");
  EXPECT_TRUE(NoErrors(check_security_profile(unnamed)));
}

TEST(SecurityProfileAdmission, ServiceNameIsADns1035Label) {
  const std::string p = "/spec/sbi/tls/certificate/serviceName";
  const std::string field = "spec.sbi.tls.certificate.serviceName";
  EXPECT_TRUE(NoErrors(check_security_profile(with(p, "amf-sbi"))));
  EXPECT_TRUE(NoErrors(check_security_profile(with(p, "a" + std::string(62, 'b')))));
  EXPECT_TRUE(HasError(check_security_profile(with(p, "1amf")), field, "should match"));
  EXPECT_TRUE(HasError(check_security_profile(with(p, "amf.v2")), field, "should match"));
  EXPECT_TRUE(
      HasError(check_security_profile(with(p, "a" + std::string(63, 'b'))), field, "Too long"));
}

TEST(SecurityProfileAdmission, ExtraDnsNamesHaveLabelsOfAtMost63) {
  const std::string p = "/spec/sbi/tls/certificate/extraDnsNames";
  const std::string field = "spec.sbi.tls.certificate.extraDnsNames[0]";
  const std::string label63(63, 'a');
  for (const std::string& ok :
       {label63 + ".example.org", "*." + label63 + ".org", "x." + label63, "0." + label63}) {
    EXPECT_TRUE(NoErrors(check_security_profile(with(p, json::array({ok}))))) << ok;
  }
  for (const std::string& bad :
       {label63 + "a.example.org", "*." + label63 + "a", "x." + label63 + "b.org"}) {
    EXPECT_TRUE(
        HasError(check_security_profile(with(p, json::array({bad}))), field, "should match"))
        << bad;
  }
  // 253 characters in all (three labels of 63, one of 61, three dots): the boundary.
  const std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  ASSERT_EQ(name253.size(), 253u);
  EXPECT_TRUE(NoErrors(check_security_profile(with(p, json::array({name253})))));
  EXPECT_TRUE(
      HasError(check_security_profile(with(p, json::array({name253 + "b"}))), field, "Too long"));
}

json with_lifetimes(const std::string& ike, const std::string& esp) {
  json i = n2();
  i["ike"] = {{"lifetime", ike}};
  i["esp"] = {{"lifetime", esp}};
  return with_ipsec(i);
}

TEST(SecurityProfileAdmission, IkeLifetimeFrom5mTo24h) {
  const std::string field = "spec.ipsec.interfaces[0].ike.lifetime";
  for (const char* ok : {"5m", "300s", "24h", "23h59m59.999s", "1440m", "86400s", "1.5h"}) {
    EXPECT_TRUE(NoErrors(check_security_profile(with_lifetimes(ok, "1h")))) << ok;
  }
  for (const char* bad : {"4m59s", "299.999s", "24h1ns", "24h0m1s", "86401s", "0s", "1h-1m"}) {
    const auto errs = check_security_profile(with_lifetimes(bad, "1h"));
    EXPECT_TRUE(HasError(errs, field)) << bad;
    EXPECT_EQ(errors_on(errs, field).size(), errs.size()) << bad << testing::dump(errs);
  }
  EXPECT_TRUE(HasError(check_security_profile(with_lifetimes("25h", "1h")), field,
                       "ike.lifetime (IKE SA rekey time) must be between 5m and 24h"));
}

TEST(SecurityProfileAdmission, EspLifetimeFrom5mTo8h) {
  const std::string field = "spec.ipsec.interfaces[0].esp.lifetime";
  for (const char* ok : {"5m", "8h", "480m", "28800s", "7h59m"}) {
    EXPECT_TRUE(NoErrors(check_security_profile(with_lifetimes("1h", ok)))) << ok;
  }
  for (const char* bad : {"4m59s", "8h1s", "28801s", "9h", "24h"}) {
    EXPECT_TRUE(HasError(check_security_profile(with_lifetimes("1h", bad)), field,
                         "esp.lifetime (CHILD_SA rekey time) must be between 5m and 8h"))
        << bad;
  }
}

TEST(SecurityProfileAdmission, HugeLifetimesAreRefusedWithoutOverflow) {
  const std::string ike = "spec.ipsec.interfaces[0].ike.lifetime";
  const std::string esp = "spec.ipsec.interfaces[0].esp.lifetime";
  // More than 5 digits in a number: the pattern refuses it before any arithmetic.
  for (const char* bad : {"100000s", "999999h", "2562048h", "99999999999999999999999999999h",
                          "9223372036854775807ns", "18446744073709551616ns", "300000ms"}) {
    EXPECT_TRUE(HasError(check_security_profile(with_lifetimes(bad, "1h")), ike, "should match"))
        << bad;
    EXPECT_TRUE(HasError(check_security_profile(with_lifetimes("1h", bad)), esp, "should match"))
        << bad;
  }
  // Within the pattern, the largest values (maxLength 32) are out of range, not overflowing.
  for (const char* big :
       {"99999h", "99999h99999h99999h99999h99999h9h", "99999.9999999999999999999999999h"}) {
    EXPECT_TRUE(HasError(check_security_profile(with_lifetimes(big, "1h")), ike,
                         "must be between 5m and 24h"))
        << big;
  }
  // A long fraction is fine (Go drops digits beyond int64), and the value is in range.
  EXPECT_TRUE(
      NoErrors(check_security_profile(with_lifetimes("1.9999999999999999999999999999h", "1h"))));
  EXPECT_TRUE(HasError(check_security_profile(with_lifetimes("1h", std::string(33, '1') + "s")),
                       esp, "Too long"));
}

TEST(SecurityProfileAdmission, RemoteIdIsPrintableAsciiWithoutQuotesOrBackslashes) {
  const std::string field = "spec.ipsec.interfaces[0].peers[0].remoteId";
  const auto with_remote_id = [](const std::string& id) {
    return with_ipsec(
        n2(json::array({{{"name", "gnb-1"}, {"address", "10.0.0.1"}, {"remoteId", id}}})));
  };
  std::string every_allowed;  // all of 0x21..0x7e except '"' and '\', with a space inside
  for (char c = '!'; c <= '~'; ++c) {
    if (c != '"' && c != '\\') every_allowed += c;
    if (c == 'A') every_allowed += ' ';
  }
  for (const std::string& ok :
       {std::string("gnb-1.ran.mnc001.mcc001.3gppnetwork.org"),
        std::string("C=DE, O=Operator A, CN=gnb-1"), std::string("@#0123abcd"),
        std::string("*@example.org"), std::string("10.0.0.1"), std::string("x"), every_allowed,
        std::string(255, 'x')}) {
    EXPECT_TRUE(NoErrors(check_security_profile(with_remote_id(ok)))) << ok;
  }
  for (const std::string& bad :
       {std::string(""), std::string(" gnb"), std::string("gnb "), std::string("C=DE, O=\"A\""),
        std::string("a\\b"), std::string("x\n}\nconnections {"), std::string("a\tb"),
        std::string("a\rb"), std::string("a\x7f"), std::string("a\x01"), std::string("a\0b", 3),
        std::string("M\xc3\xbcller")}) {
    const auto errs = check_security_profile(with_remote_id(bad));
    EXPECT_TRUE(HasError(errs, field,
                         "remoteId must be printable ASCII without double quotes, backslashes or "
                         "control characters"))
        << bad;
    EXPECT_EQ(errs.size(), 1u) << testing::dump(errs);
  }
  EXPECT_TRUE(
      HasError(check_security_profile(with_remote_id(std::string(256, 'x'))), field, "Too long"));
}

// ------------------------------------------------------------ N32

TEST(SecurityProfileRules, N32OnlyOnSepp) {
  json j = sepp_with_n32();
  EXPECT_TRUE(NoErrors(check_security_profile(j)));
  j["spec"]["nfType"] = "AMF";
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.n32",
                       "spec.n32 is only allowed when nfType is SEPP"));
}

TEST(SecurityProfileRules, N32Fields) {
  json j = sepp_with_n32();
  json& peer = j["spec"]["n32"]["peers"][0];
  peer["plmns"] = {{{"mcc", "02"}, {"mnc", "1"}}};
  auto errs = check_security_profile(j);
  EXPECT_TRUE(HasError(errs, "spec.n32.peers[0].plmns[0].mcc"));
  EXPECT_TRUE(HasError(errs, "spec.n32.peers[0].plmns[0].mnc"));
  peer["plmns"] = {{{"mcc", "208"}, {"mnc", "093"}}, {{"mcc", "208"}, {"mnc", "093"}}};
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.n32.peers[0].plmns[1]", "Duplicate"));
  peer["plmns"] = {{{"mcc", "208"}, {"mnc", "093"}}, {{"mcc", "208"}, {"mnc", "93"}}};
  EXPECT_TRUE(NoErrors(check_security_profile(j)));
  peer["plmns"] = json::array();
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.n32.peers[0].plmns"));
  peer["plmns"] = {{{"mcc", "002"}, {"mnc", "02"}}};
  j["spec"]["n32"]["capability"] = "IPX";
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.n32.capability"));
  j["spec"]["n32"]["capability"] = "TLS";
  peer["fqdn"] = "SEPP.example.org";
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.n32.peers[0].fqdn"));
  peer["fqdn"] = "sepp.example.org";
  peer["name"] = "Partner";
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.n32.peers[0].name"));
  peer["name"] = "partner";
  peer["trustAnchorRef"] = {{"kind", "Pod"}, {"name", "roots"}};
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.n32.peers[0].trustAnchorRef.kind"));
  peer["trustAnchorRef"] = {{"kind", "Secret"}, {"name", "roots"}, {"key", "ca crt"}};
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.n32.peers[0].trustAnchorRef.key"));
  peer["trustAnchorRef"] = {{"kind", "Secret"}};
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.n32.peers[0].trustAnchorRef.name"));
  peer.erase("trustAnchorRef");
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.n32.peers[0].trustAnchorRef"));
  j["spec"]["n32"]["remotePlmns"] = {{{"mcc", "002"}, {"mnc", "02"}}};  // replaced by peers
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.n32.remotePlmns"));
}

TEST(SecurityProfileParse, N32PeerTrustAnchorDefaults) {
  auto r = parse_security_profile(sepp_with_n32());
  ASSERT_TRUE(r.ok()) << testing::dump(r.errors());
  const auto& ref = r->spec.n32->peers.at(0).trust_anchor_ref;
  EXPECT_EQ(ref.kind, TrustAnchorKind::ConfigMap);
  EXPECT_EQ(ref.name, "mnc002-roots");
  EXPECT_EQ(ref.key, "ca.crt");
}

TEST(SecurityProfileRules, N32PeersDistinct) {
  json j = sepp_with_n32();
  json second = j["spec"]["n32"]["peers"][0];
  second["name"] = "other";
  j["spec"]["n32"]["peers"].push_back(second);
  auto errs = check_security_profile(j);
  EXPECT_TRUE(HasError(errs, "spec.n32.peers", "must not have the same fqdn"));
  EXPECT_TRUE(HasError(errs, "spec.n32.peers", "a PLMN must belong to one N32 peer only"));
  j["spec"]["n32"]["peers"][1]["fqdn"] = "sepp.5gc.mnc003.mcc003.3gppnetwork.org";
  j["spec"]["n32"]["peers"][1]["plmns"] = {{{"mcc", "003"}, {"mnc", "03"}}};
  EXPECT_TRUE(NoErrors(check_security_profile(j)));
  j["spec"]["n32"]["peers"][1]["name"] = "mnc002-mcc002";
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.n32.peers[1]", "Duplicate"));
}

TEST(SecurityProfileRules, JweSuitesOnlyWithPrins) {
  json j = sepp_with_n32();
  j["spec"]["n32"]["jweCipherSuites"] = {"A256GCM"};
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.n32.jweCipherSuites",
                       "spec.n32.jweCipherSuites is only allowed when capability is PRINS"));
  j["spec"]["n32"]["capability"] = "PRINS";
  EXPECT_TRUE(NoErrors(check_security_profile(j)));
  j["spec"]["n32"]["jweCipherSuites"] = {"A128CBC-HS256"};
  EXPECT_TRUE(HasError(check_security_profile(j), "spec.n32.jweCipherSuites[0]"));
}

// ------------------------------------------------------------ other rules

TEST(SecurityProfileRules, SelectorAndTrustDomainRef) {
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/selector/matchLabels", json::object())),
                       "spec.selector.matchLabels", "at least 1"));
  EXPECT_TRUE(
      HasError(check_security_profile(with("/spec/selector/matchLabels/app", std::string(64, 'a'))),
               "spec.selector.matchLabels.app", "Too long"));
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/trustDomainRef/name", "Bad_Name")),
                       "spec.trustDomainRef.name"));
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/trustDomainRef/name", "")),
                       "spec.trustDomainRef.name"));
}

TEST(SecurityProfileRules, PolicyEnums) {
  EXPECT_TRUE(
      HasError(check_security_profile(with("/spec/driftPolicy", "Ignore")), "spec.driftPolicy"));
  EXPECT_TRUE(HasError(check_security_profile(with("/spec/deletionPolicy", "Orphan")),
                       "spec.deletionPolicy"));
  EXPECT_TRUE(
      HasError(check_security_profile(with("/spec/sbi/tls/mode", "mTLS")), "spec.sbi.tls.mode"));
  EXPECT_TRUE(HasError(
      check_security_profile(with("/spec/sbi/tls/certificate/rotationPolicy", "Sometimes")),
      "spec.sbi.tls.certificate.rotationPolicy"));
}

TEST(SecurityProfileRules, ErrorsAreCollectedNotFirstOnly) {
  json j = with("/spec/nfInstanceId", "nope");
  j["spec"]["sbi"]["tls"]["certificate"]["duration"] = "40000h";
  j["spec"]["sbi"]["oauth2"] = {{"enabled", true}};
  const auto errs = check_security_profile(j);
  EXPECT_TRUE(HasError(errs, "spec.nfInstanceId"));
  EXPECT_TRUE(HasError(errs, "spec.sbi.tls.certificate.duration"));
  EXPECT_TRUE(HasError(errs, "spec.sbi.oauth2.nrfApiRoot"));
  EXPECT_EQ(errs.size(), 3u) << testing::dump(errs);
}

// ------------------------------------------------------------ status

SecurityProfileStatus sample_status() {
  const Timestamp t0 = sys_days{2025y / June / 1} + 12h;
  SecurityProfileStatus s;
  s.observed_generation = 4;
  s.conditions = {{"Ready", ConditionStatus::True, 4, t0, "Provisioned", "certificate issued"},
                  {"Drifted", ConditionStatus::False, 4, t0, "InSync", ""}};
  s.nf_instance_id = "6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31";
  s.certificate = CertificateStatus{"0a1b2c", std::string(64, 'f'), t0, t0 + hours(2160),
                                    t0 + hours(2160 - 720)};
  s.objects = {{"Secret", "amf-sbi-tls", "sha256:abcd", ObjectState::InSync},
               {"ConfigMap", "amf-open5gs", "sha256:ef01", ObjectState::Drifted}};
  s.drift_findings = {
      {"ConfigMap", "amf-open5gs", "data.amf.yaml", "Modified", t0, DriftAction::Repaired}};
  return s;
}

TEST(SecurityProfileStatusJson, RoundTrips) {
  const auto s = sample_status();
  const json j = to_json(s);
  EXPECT_EQ(j.at("observedGeneration"), 4);
  EXPECT_EQ(j.at("certificate").at("notAfter"), "2025-08-30T12:00:00Z");
  EXPECT_EQ(j.at("certificate").at("renewalTime"), "2025-07-31T12:00:00Z");
  EXPECT_EQ(j.at("objects").at(1).at("state"), "Drifted");
  EXPECT_EQ(j.at("driftFindings").at(0).at("action"), "Repaired");
  auto back = parse_security_profile_status(j);
  ASSERT_TRUE(back.ok()) << testing::dump(back.errors());
  EXPECT_EQ(back.value(), s);
  // and inside a whole resource
  json res = minimal();
  res["status"] = j;
  auto p = parse_security_profile(res);
  ASSERT_TRUE(p.ok()) << testing::dump(p.errors());
  EXPECT_EQ(p->status, s);
  EXPECT_EQ(effective_nf_instance_id(p.value()), "6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31");
}

TEST(SecurityProfileStatusJson, OmitsEmptyParts) {
  const json j = to_json(SecurityProfileStatus{});
  EXPECT_EQ(j, (json{{"observedGeneration", 0}}));
}

TEST(SecurityProfileStatusJson, NeverCarriesKeyMaterialFields) {
  const std::string text = to_json(sample_status()).dump();
  for (const char* forbidden : {"PRIVATE KEY", "tls.key", "privateKey", "psk"}) {
    EXPECT_EQ(text.find(forbidden), std::string::npos) << forbidden;
  }
}

TEST(SecurityProfileStatusJson, BadStatusIsReported) {
  json j = to_json(sample_status());
  j["certificate"]["notAfter"] = "next year";
  j["objects"][0]["state"] = "Lost";
  auto r = parse_security_profile_status(j);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasError(r.errors(), "status.certificate.notAfter"));
  EXPECT_TRUE(HasError(r.errors(), "status.objects[0].state"));
}

TEST(DriftFindings, AreBoundedNewestFirst) {
  SecurityProfileStatus s;
  const Timestamp t0 = sys_days{2025y / June / 1};
  for (int i = 0; i < 30; ++i) {
    add_drift_finding(s, {"Secret", "amf-sbi-tls", "data.tls.crt", "Modified", t0 + seconds(i),
                          DriftAction::Reported});
  }
  ASSERT_EQ(s.drift_findings.size(), kMaxDriftFindings);
  EXPECT_EQ(s.drift_findings.front().detected_at, t0 + seconds(29));
  EXPECT_EQ(s.drift_findings.back().detected_at, t0 + seconds(10));
}

// ------------------------------------------------------------ spec to_json

TEST(SecurityProfileSpecJson, MinimalSpecSerialisesWithDefaults) {
  auto p = parse_security_profile(minimal());
  ASSERT_TRUE(p.ok());
  const json j = to_json(p->spec);
  EXPECT_EQ(j.at("sbi").at("tls").at("mode"), "MutualTLS");
  EXPECT_EQ(j.at("sbi").at("tls").at("certificate").at("duration"), "2160h");
  EXPECT_FALSE(j.contains("ipsec"));
  EXPECT_FALSE(j.at("sbi").contains("oauth2"));
  // parsing the serialised spec gives the same spec (defaults are a fixed point)
  json res = minimal();
  res["spec"] = j;
  auto again = parse_security_profile(res);
  ASSERT_TRUE(again.ok()) << testing::dump(again.errors());
  EXPECT_EQ(again->spec, p->spec);
}

}  // namespace
}  // namespace secprov::api
