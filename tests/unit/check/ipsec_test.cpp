// IPsec checks of the SMF <-> UPF N4 link (and an external gNB on N2), table-driven.

#include "check/ipsec.h"

#include <gtest/gtest.h>

#include "builders.h"

namespace secprov::check {
namespace {

using nlohmann::json;
using testing::find_pair;
using testing::profile;
using testing::reasons;
using Reasons = std::vector<std::string>;

// An N4 interface at `local` with one peer; `extra` merged into the interface.
json n4(const std::string& local, const json& peer, const json& extra = json::object()) {
  json i = {{"name", "N4"}, {"localAddress", local}, {"peers", {peer}}};
  i.merge_patch(extra);
  return {{"ipsec", {{"interfaces", {i}}}}};
}

// The mirror pair of the samples: each names the other profile; identities by default
// (smf.5gc.svc / upf.5gc.svc, neither has extraDnsNames).
const json kSmfPeer = {{"name", "upf"}, {"address", "10.10.4.2"}};
const json kUpfPeer = {{"name", "smf"}, {"address", "10.10.4.1"}};

struct Case {
  const char* name;
  json smf;
  json upf;
  Reasons expected;
  friend void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }
};

const json kPsk = {{"authentication", "PreSharedKey"}};

json merged_trust_domain(json spec, const std::string& domain) {
  spec["trustDomainRef"] = {{"name", domain}};
  return spec;
}

const Case kCases[] = {
    {"Mirrored", n4("10.10.4.1", kSmfPeer), n4("10.10.4.2", kUpfPeer), {}},
    {"MirroredPsk", n4("10.10.4.1", kSmfPeer, kPsk), n4("10.10.4.2", kUpfPeer, kPsk), {}},
    // The N4 defects: different methods, IDs that do not match, a PSK not shared.
    {"DifferentAuthentication",
     n4("10.10.4.1", kSmfPeer, kPsk),
     n4("10.10.4.2", kUpfPeer),
     {"IpsecAuthenticationMismatch"}},
    {"IdsDoNotMatch",
     n4("10.10.4.1", kSmfPeer),
     n4("10.10.4.2", {{"name", "smf"}, {"address", "10.10.4.1"}, {"remoteId", "smf.example.org"}}),
     {"IpsecIdMismatch"}},
    {"PeerNotListed",
     n4("10.10.4.1", kSmfPeer),
     n4("10.10.4.2", {{"name", "smf-2"}, {"address", "10.10.4.9"}}),
     {"IpsecPeerNotListed"}},
    {"NotConfigured", n4("10.10.4.1", kSmfPeer), json::object(), {"IpsecNotConfigured"}},
    {"NoCommonIkeProposal",
     n4("10.10.4.1", kSmfPeer, {{"ike", {{"proposals", {"aes256gcm16-prfsha384-ecp384"}}}}}),
     n4("10.10.4.2", kUpfPeer, {{"ike", {{"proposals", {"aes128gcm16-prfsha256-ecp256"}}}}}),
     {"NoCommonIkeProposal"}},
    {"NoCommonEspProposal",
     n4("10.10.4.1", kSmfPeer, {{"esp", {{"proposals", {"aes256gcm16-ecp384"}}}}}),
     n4("10.10.4.2", kUpfPeer, {{"esp", {{"proposals", {"aes256gcm16-modp3072"}}}}}),
     {"NoCommonEspProposal"}},
    {"ProposalsOverlapOnOne",
     n4("10.10.4.1", kSmfPeer, {{"ike", {{"proposals", {"aes128gcm16-prfsha256-ecp256"}}}}}),
     n4("10.10.4.2", kUpfPeer),
     {}},
    {"ModeMismatch",
     n4("10.10.4.1", kSmfPeer, {{"mode", "Transport"}}),
     n4("10.10.4.2", kUpfPeer),
     {"IpsecModeMismatch"}},
    {"SelectorsDisjoint",
     n4("10.10.4.1", kSmfPeer, {{"trafficSelectors", {{"local", {"10.20.0.0/16"}}}}}),
     n4("10.10.4.2", kUpfPeer),
     {"TrafficSelectorsNotMirrored"}},
    {"SelectorsNarrowed",
     n4("10.10.4.1", kSmfPeer, {{"trafficSelectors", {{"local", {"10.10.4.0/24"}}}}}),
     n4("10.10.4.2", kUpfPeer),
     {"TrafficSelectorsNarrowed"}},
    {"SelectorsMirroredExplicitly",
     n4("10.10.4.1", kSmfPeer,
        {{"trafficSelectors", {{"local", {"10.10.4.0/28"}}, {"remote", {"10.10.5.0/28"}}}}}),
     n4("10.10.4.2", kUpfPeer,
        {{"trafficSelectors", {{"local", {"10.10.5.0/28"}}, {"remote", {"10.10.4.0/28"}}}}}),
     {}},
    {"PeerAddressMismatch",
     n4("10.10.4.1", {{"name", "upf"}, {"address", "10.10.4.3"}}),
     n4("10.10.4.2", kUpfPeer),
     {"TrafficSelectorsNotMirrored", "IpsecPeerAddressMismatch"}},
    {"AddressFamilyMismatch",
     n4("10.10.4.1", {{"name", "upf"}, {"address", "fd00::2"}}),
     n4("10.10.4.2", kUpfPeer),
     {"TrafficSelectorsNotMirrored", "IpsecAddressFamilyMismatch", "IpsecPeerAddressMismatch"}},
};

class IpsecCases : public ::testing::TestWithParam<Case> {};

TEST_P(IpsecCases, Reasons) {
  const auto& c = GetParam();
  Scope scope;
  scope.profiles = {profile("smf", "SMF", c.smf), profile("upf", "UPF", c.upf)};
  const auto report = evaluate(scope);
  EXPECT_EQ(reasons(find_pair(report, Interface::N4, "5gc/smf", "5gc/upf")), c.expected)
      << testing::dump(report);
}

INSTANTIATE_TEST_SUITE_P(N4, IpsecCases, ::testing::ValuesIn(kCases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Ipsec, PskNotSharedAcrossTrustDomains) {
  Scope scope;
  scope.profiles = {
      profile("smf", "SMF", n4("10.10.4.1", kSmfPeer, kPsk)),
      profile("upf", "UPF", merged_trust_domain(n4("10.10.4.2", kUpfPeer, kPsk), "other"))};
  const auto report = evaluate(scope);
  EXPECT_EQ(reasons(find_pair(report, Interface::N4, "5gc/smf", "5gc/upf")),
            (Reasons{"PskNotShared"}))
      << testing::dump(report);
}

TEST(Ipsec, RemoteIdFollowsAnExtraDnsName) {
  // A remoteId naming a DNS name the SMF's certificate does not carry, and the SMF presents
  // it: only an extraDnsName puts it in the certificate.
  Scope scope;
  json smf = n4("10.10.4.1", kSmfPeer);
  smf["sbi"] = {{"tls", {{"certificate", {{"extraDnsNames", {"smf.n4.example"}}}}}}};
  scope.profiles = {
      profile("smf", "SMF", smf),
      profile("upf", "UPF",
              n4("10.10.4.2",
                 {{"name", "smf"}, {"address", "10.10.4.1"}, {"remoteId", "smf.n4.example"}}))};
  EXPECT_EQ(reasons(find_pair(evaluate(scope), Interface::N4, "5gc/smf", "5gc/upf")), Reasons{});
}

TEST(Ipsec, DuplicateSelectorsAndClusterIp) {
  Scope scope;
  json smf = n4("10.10.4.1", kSmfPeer, {{"trafficSelectors", {{"remote", {"10.10.4.0/24"}}}}});
  smf["ipsec"]["interfaces"][0]["peers"].push_back({{"name", "upf-2"}, {"address", "10.10.4.3"}});
  scope.profiles = {profile("smf", "SMF", smf), profile("upf", "UPF", n4("10.10.4.2", kUpfPeer))};
  scope.cluster_ip_addresses = {"10.10.4.2"};
  const auto report = evaluate(scope);
  EXPECT_EQ(
      reasons(find_pair(report, Interface::N4, "5gc/smf", "5gc/upf")),
      (Reasons{"TrafficSelectorsNarrowed", "DuplicateTrafficSelectors", "PeerAddressIsClusterIp"}))
      << testing::dump(report);
}

TEST(Ipsec, ExternalGnbOnN2) {
  json amf = {{"ipsec",
               {{"interfaces",
                 {{{"name", "N2"},
                   {"localAddress", "10.10.2.1"},
                   {"peers",
                    {{{"name", "gnb-1"},
                      {"address", "10.10.2.11"},
                      {"remoteId", "gnb-1.ran.example"}}}}}}}}}};
  ExternalPeer gnb;
  gnb.name = "gnb-1";
  gnb.type = ExternalKind::Gnb;
  api::IpsecInterfaceSpec n2;
  n2.name = api::IpsecInterface::N2;
  n2.local_address = "10.10.2.11";
  n2.peers = {{"amf", "10.10.2.1", "amf.5gc.svc"}};
  gnb.ipsec = n2;
  gnb.ipsec_local_id = "gnb-1.ran.example";
  gnb.certificate_ids = {"gnb-1.ran.example"};
  Scope scope;
  scope.profiles = {profile("amf", "AMF", amf)};
  scope.external_peers = {gnb};
  auto report = evaluate(scope);
  EXPECT_EQ(reasons(find_pair(report, Interface::N2, "5gc/amf", "external/gnb-1")), Reasons{})
      << testing::dump(report);

  // The gNB expects another AMF identity, and offers only proposals the AMF does not.
  scope.external_peers[0].ipsec->peers[0].remote_id = "amf.example";
  scope.external_peers[0].ipsec->ike.proposals = {"aes128gcm16-prfsha256-modp3072"};
  report = evaluate(scope);
  EXPECT_EQ(reasons(find_pair(report, Interface::N2, "5gc/amf", "external/gnb-1")),
            (Reasons{"IpsecIdMismatch", "NoCommonIkeProposal"}));

  // The gNB presents an identity its certificate does not carry.
  scope.external_peers = {gnb};
  scope.external_peers[0].certificate_ids = {"gnb-1.other.example"};
  report = evaluate(scope);
  EXPECT_EQ(reasons(find_pair(report, Interface::N2, "5gc/amf", "external/gnb-1")),
            (Reasons{"IpsecIdNotInCertificate"}));

  // PreSharedKey: the gNB must be given the AMF's key.
  json amf_psk = amf;
  amf_psk["ipsec"]["interfaces"][0]["authentication"] = "PreSharedKey";
  amf_psk["ipsec"]["interfaces"][0]["allowPreSharedKey"] = true;
  scope.profiles = {profile("amf", "AMF", amf_psk)};
  scope.external_peers = {gnb};
  scope.external_peers[0].ipsec->authentication = api::IpsecAuthentication::PreSharedKey;
  report = evaluate(scope);
  EXPECT_EQ(reasons(find_pair(report, Interface::N2, "5gc/amf", "external/gnb-1")),
            (Reasons{"PskNotShared"}));
  scope.external_peers[0].holds_profile_pre_shared_key = true;
  EXPECT_EQ(reasons(find_pair(evaluate(scope), Interface::N2, "5gc/amf", "external/gnb-1")),
            Reasons{});
}

TEST(Ipsec, ProposalsOverlapTransformByTransform) {
  EXPECT_TRUE(
      proposals_overlap({"aes256gcm16-prfsha384-ecp384"}, {"aes256gcm16-prfsha384-ecp384"}));
  EXPECT_FALSE(
      proposals_overlap({"aes256gcm16-prfsha384-ecp384"}, {"aes256gcm16-prfsha384-ecp256"}));
  // One proposal may list several algorithms of a transform.
  EXPECT_TRUE(
      proposals_overlap({"aes256gcm16-prfsha384-ecp384-ecp256"}, {"aes256gcm16-prfsha384-ecp256"}));
  // ESP with PFS on one end only: no match.
  EXPECT_FALSE(proposals_overlap({"aes256gcm16-ecp384"}, {"aes256gcm16"}));
  EXPECT_TRUE(proposals_overlap({"aes256-sha256-ecp256"}, {"aes128-aes256-sha384-sha256-ecp256"}));
}

}  // namespace
}  // namespace secprov::check
