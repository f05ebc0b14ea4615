// N32 checks between the home SEPP and a remote PLMN's SEPP described inline, and between
// two SEPP profiles of one scope.

#include "check/n32.h"

#include <gtest/gtest.h>

#include "builders.h"

namespace secprov::check {
namespace {

using nlohmann::json;
using testing::find_pair;
using testing::profile;
using testing::reasons;
using Reasons = std::vector<std::string>;

constexpr const char* kRemoteFqdn = "sepp.5gc.mnc002.mcc002.3gppnetwork.org";

json sepp_spec(const json& n32_patch = json::object()) {
  json n32 = {{"capability", "TLS"},
              {"peers",
               {{{"name", "mnc002-mcc002"},
                 {"fqdn", kRemoteFqdn},
                 {"plmns", {{{"mcc", "002"}, {"mnc", "02"}}}},
                 {"trustAnchorRef",
                  {{"kind", "ConfigMap"}, {"name", "mnc002-roots"}, {"key", "ca.crt"}}}}}}};
  n32.merge_patch(n32_patch);
  return {{"n32", n32},
          {"outputs", {{"open5gs", true}}},
          {"sbi",
           {{"tls",
             {{"certificate", {{"extraDnsNames", {"sepp.5gc.mnc001.mcc001.3gppnetwork.org"}}}}}}}}};
}

ExternalPeer remote() {
  ExternalPeer x;
  x.name = "mnc002-mcc002";
  x.type = ExternalKind::RemoteSepp;
  x.n32_capability = api::N32Capability::TLS;
  x.n32_sender = kRemoteFqdn;
  x.plmns = {{"002", "02"}};
  x.issuer_fingerprint = "02:02";
  x.trusted_fingerprints = {"01:01"};
  x.separate_n32f = true;
  return x;
}

Scope scope_with(const json& sepp, const ExternalPeer& peer) {
  Scope scope;
  scope.profiles = {profile("sepp", "SEPP", sepp)};
  scope.external_peers = {peer};
  scope.trust_domains = {{"home", {"0101"}, {{"001", "01"}}}};
  scope.trust_anchors = {{"5gc/ConfigMap/mnc002-roots/ca.crt", {"0202"}}};
  return scope;
}

Reasons run(const Scope& scope) {
  const auto report = evaluate(scope);
  const auto* pair = find_pair(report, Interface::N32, "5gc/sepp", "external/mnc002-mcc002");
  if (pair == nullptr) ADD_FAILURE() << testing::dump(report);
  return reasons(pair);
}

TEST(N32, ConsistentWithARemoteSepp) {
  EXPECT_EQ(run(scope_with(sepp_spec(), remote())), Reasons{});
}

TEST(N32, TlsAgainstPrins) {
  auto x = remote();
  x.n32_capability = api::N32Capability::PRINS;
  EXPECT_EQ(run(scope_with(sepp_spec(), x)), (Reasons{"N32CapabilityMismatch"}));
}

TEST(N32, ReceiverIsNotThePeersSender) {
  auto x = remote();
  x.n32_sender = "sepp.other.mnc002.mcc002.3gppnetwork.org";
  x.name = "mnc002-mcc002";  // still found by name
  EXPECT_EQ(run(scope_with(sepp_spec(), x)), (Reasons{"N32ReceiverMismatch"}));
}

TEST(N32, SeppTrustingTheWrongRoot) {
  auto scope = scope_with(sepp_spec(), remote());
  scope.trust_anchors = {{"5gc/ConfigMap/mnc002-roots/ca.crt", {"0303"}}};
  const auto reasons_seen = run(scope);
  EXPECT_EQ(reasons_seen, (Reasons{"N32PeerRootNotTrusted"}));
  // The remote SEPP trusting another root than the home N32 CA: the same check, other way.
  auto x = remote();
  x.trusted_fingerprints = {"0404"};
  EXPECT_EQ(run(scope_with(sepp_spec(), x)), (Reasons{"N32PeerRootNotTrusted"}));
}

TEST(N32, RootsNotGivenIsInfoNotAPass) {
  auto scope = scope_with(sepp_spec(), remote());
  scope.trust_anchors.clear();
  const auto report = evaluate(scope);
  const auto* pair = find_pair(report, Interface::N32, "5gc/sepp", "external/mnc002-mcc002");
  EXPECT_EQ(reasons(pair), (Reasons{"N32TrustAnchorUnknown"}));
  ASSERT_NE(pair, nullptr);
  EXPECT_TRUE(pair->consistent());
  EXPECT_EQ(pair->findings.front().severity, Severity::Info);
}

TEST(N32, PlmnsBoundToTheRootsAreNotThePeers) {
  auto x = remote();
  x.plmns = {{"002", "03"}};
  EXPECT_EQ(run(scope_with(sepp_spec(), x)), (Reasons{"N32PlmnMismatch"}));
}

TEST(N32, SeparateN32f) {
  auto x = remote();
  x.separate_n32f = false;
  EXPECT_EQ(run(scope_with(sepp_spec(), x)), (Reasons{"N32fNotSeparate"}));
  // Without the Open5GS rendering, nothing says how the SEPP carries N32-f.
  json spec = sepp_spec();
  spec.erase("outputs");
  EXPECT_EQ(run(scope_with(spec, remote())), (Reasons{"N32fSeparationNotModelled"}));
}

TEST(N32, PrinsJweSuites) {
  auto x = remote();
  x.n32_capability = api::N32Capability::PRINS;
  x.jwe_cipher_suites = {api::JweCipherSuite::A256GCM};
  const json prins = sepp_spec({{"capability", "PRINS"}, {"jweCipherSuites", {"A128GCM"}}});
  EXPECT_EQ(run(scope_with(prins, x)),
            (Reasons{"N32NoCommonJweSuite", "N32PrinsPoliciesNotModelled"}));
  x.jwe_cipher_suites = {api::JweCipherSuite::A256GCM, api::JweCipherSuite::A128GCM};
  EXPECT_EQ(run(scope_with(prins, x)), (Reasons{"N32PrinsPoliciesNotModelled"}));
}

TEST(N32, TlsParametersOfN32c) {
  // An Open5GS SEPP serves N32-c with P-256 only.
  auto x = remote();
  x.tls.groups = {api::TlsGroup::X25519};
  EXPECT_EQ(run(scope_with(sepp_spec(), x)), (Reasons{"NoCommonTlsGroup"}));
}

TEST(N32, TwoSeppProfilesWithInterconnectBundles) {
  // Two SEPPs of one scope, each with its N32 certificate from its interconnect domain and
  // the other's bundle ConfigMap ("<domain>-ca") as the partner's roots.
  auto spec = [](const std::string& own, const std::string& peer_fqdn, const std::string& peer_ic,
                 const std::string& mcc) {
    return json{{"n32",
                 {{"capability", "TLS"},
                  {"trustDomainRef", {{"name", own}}},
                  {"peers",
                   {{{"name", "partner"},
                     {"fqdn", peer_fqdn},
                     {"plmns", {{{"mcc", mcc}, {"mnc", "01"}}}},
                     {"trustAnchorRef", {{"kind", "ConfigMap"}, {"name", peer_ic + "-ca"}}}}}}}},
                {"outputs", {{"open5gs", true}}}};
  };
  Scope scope;
  scope.profiles = {profile("sepp-a", "SEPP", spec("ic-a", "sepp-b.5gc.svc", "ic-b", "002")),
                    profile("sepp-b", "SEPP", spec("ic-b", "sepp-a.5gc.svc", "ic-a", "001"))};
  scope.trust_domains = {{"ic-a", {"aa"}, {{"001", "01"}}}, {"ic-b", {"bb"}, {{"002", "01"}}}};
  auto report = evaluate(scope);
  EXPECT_EQ(reasons(find_pair(report, Interface::N32, "5gc/sepp-a", "5gc/sepp-b")), Reasons{})
      << testing::dump(report);
  // sepp-b names ic-b's own bundle for its partner: the wrong root.
  scope.profiles[1] = profile("sepp-b", "SEPP", spec("ic-b", "sepp-a.5gc.svc", "ic-b", "001"));
  report = evaluate(scope);
  EXPECT_EQ(reasons(find_pair(report, Interface::N32, "5gc/sepp-a", "5gc/sepp-b")),
            (Reasons{"N32PeerRootNotTrusted"}));
}

}  // namespace
}  // namespace secprov::check
