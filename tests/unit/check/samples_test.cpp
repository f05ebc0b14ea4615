// The shipped samples (deploy/samples/*.yaml) as one scope: the namespace 5gc.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "api/trustdomain.h"
#include "builders.h"
#include "unit/api/yaml_json.h"

namespace secprov::check {
namespace {

namespace fs = std::filesystem;
using testing::find_pair;
using testing::reasons;
using Reasons = std::vector<std::string>;

const fs::path kSamples = fs::path(SECPROV_SOURCE_DIR) / "deploy" / "samples";

struct Samples {
  std::vector<api::SecurityProfile> profiles;
  std::vector<api::TrustDomain> domains;
};

Samples load() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(kSamples)) {
    if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  Samples out;
  for (const auto& file : files) {
    for (const auto& doc : api::testing::load_yaml_file(file.string())) {
      const auto kind = doc.value("kind", "");
      if (kind == "SecurityProfile") {
        auto parsed = api::parse_security_profile(doc);
        EXPECT_TRUE(parsed.ok()) << file;
        if (parsed.ok()) out.profiles.push_back(parsed.value());
      } else if (kind == "TrustDomain") {
        auto parsed = api::parse_trust_domain(doc);
        EXPECT_TRUE(parsed.ok()) << file;
        if (parsed.ok()) out.domains.push_back(parsed.value());
      }
    }
  }
  return out;
}

Scope sample_scope() {
  const auto samples = load();
  Scope scope;
  scope.profiles = in_namespace(samples.profiles, "5gc");
  for (const auto& d : samples.domains) scope.trust_domains.push_back({d.metadata.name, {}, {}});
  return scope;
}

// The issue names two defects of the samples: SMF <-> UPF on N4 (different authentication
// methods, IDs that do not match, a PSK not shared) and a SEPP trusting the wrong root.
// Earlier work fixed both samples: N4 is consistent. The AMF asks tokens only for the UDM's
// services (the AUSF, the SMF and the free5GC NRF check none), so the samples are clean.
TEST(Samples, N4BetweenSmfAndUpfIsConsistent) {
  const auto report = evaluate(sample_scope());
  const auto* n4 = find_pair(report, Interface::N4, "5gc/smf", "5gc/upf");
  ASSERT_NE(n4, nullptr) << testing::dump(report);
  EXPECT_EQ(reasons(n4), Reasons{}) << testing::dump(report);
}

TEST(Samples, AreClean) {
  const auto report = evaluate(sample_scope());
  std::vector<std::string> seen;
  for (const auto& p : report.pairs) {
    for (const auto& f : p.findings) {
      seen.push_back(std::string(to_string(p.interface)) + " " + p.a + " " + p.b + " " +
                     std::string(to_string(f.severity)) + " " + f.reason);
    }
  }
  EXPECT_EQ(seen, std::vector<std::string>{}) << testing::dump(report);
  EXPECT_EQ(report.count(Severity::Error), 0u);
  // Every pair of the catalogue among the samples is there.
  std::vector<std::string> pairs;
  for (const auto& p : report.pairs)
    pairs.push_back(std::string(to_string(p.interface)) + " " + p.a + " " + p.b);
  EXPECT_EQ(pairs, (std::vector<std::string>{"SBI 5gc/amf 5gc/ausf", "SBI 5gc/amf 5gc/nrf",
                                             "SBI 5gc/amf 5gc/smf", "SBI 5gc/ausf 5gc/nrf",
                                             "SBI 5gc/sepp 5gc/nrf", "SBI 5gc/smf 5gc/nrf",
                                             "N4 5gc/smf 5gc/upf"}));
  // The gNBs, the remote SEPP and the AUSF's UDM are not profiles: said, not checked.
  EXPECT_EQ(report.unresolved_peers,
            (std::vector<std::string>{"N2 5gc/amf -> gnb-1", "N2 5gc/amf -> gnb-2",
                                      "N3 5gc/upf -> gnb-1", "N3 5gc/upf -> gnb-2",
                                      "N32 5gc/sepp -> sepp.5gc.mnc002.mcc002.3gppnetwork.org",
                                      "SBI 5gc/ausf -> udm.5gc.svc.cluster.local"}));
}

// The sample SEPP's partner described inline: the roots in the ConfigMap the sample names
// (sepp-mnc002-mcc002-roots) must be the partner's issuer. With the right root the link is
// consistent; with the wrong one it is the "SEPP that trusts the wrong root".
TEST(Samples, SeppAndItsPartnerFromTheSample) {
  auto scope = sample_scope();
  scope.trust_domains = {{"mnc001-mcc001", {"01"}, {{"001", "01"}}}};
  ExternalPeer partner;
  partner.name = "mnc002-mcc002";
  partner.type = ExternalKind::RemoteSepp;
  partner.n32_capability = api::N32Capability::TLS;
  partner.n32_sender = "sepp.5gc.mnc002.mcc002.3gppnetwork.org";
  partner.plmns = {{"002", "02"}};
  partner.issuer_fingerprint = "02";
  partner.trusted_fingerprints = {"01"};
  partner.separate_n32f = true;
  scope.external_peers = {partner};
  const std::string key = "5gc/ConfigMap/sepp-mnc002-mcc002-roots/ca.crt";
  scope.trust_anchors = {{key, {"02"}}};
  auto report = evaluate(scope);
  EXPECT_EQ(reasons(find_pair(report, Interface::N32, "5gc/sepp", "external/mnc002-mcc002")),
            Reasons{})
      << testing::dump(report);
  scope.trust_anchors = {{key, {"03"}}};
  report = evaluate(scope);
  const auto* n32 = find_pair(report, Interface::N32, "5gc/sepp", "external/mnc002-mcc002");
  ASSERT_NE(n32, nullptr);
  EXPECT_EQ(reasons(n32), (Reasons{"N32PeerRootNotTrusted"}));
  EXPECT_EQ(n32->findings.front().message,
            "N32 5gc/sepp <-> external/mnc002-mcc002: 5gc/sepp trusts sha256:03 for "
            "external/mnc002-mcc002, whose certificate is issued by sha256:02");
}

}  // namespace
}  // namespace secprov::check
