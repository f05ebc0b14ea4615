// check/scope.h: the Scope built from typed API objects (spec.consistency, TrustDomains,
// external peers) and evaluate_for(), which must give exactly the pairs of evaluate() that
// involve one end. Also spec.consistency's parse / validate / JSON in the API.

#include "check/scope.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "api/trustdomain.h"
#include "builders.h"
#include "unit/api/yaml_json.h"

namespace secprov::check {
namespace {

using nlohmann::json;
using testing::profile;

constexpr const char* kFp1 =
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:"
    "99";
constexpr const char* kFp2 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::vector<const api::SecurityProfile*> ptrs(const std::vector<api::SecurityProfile>& v) {
  std::vector<const api::SecurityProfile*> out;
  for (const auto& p : v) out.push_back(&p);
  return out;
}

api::TrustDomain domain(const std::string& name, const std::string& dns, std::string fp,
                        std::vector<std::string> previous = {}) {
  api::TrustDomain d;
  d.metadata.name = name;
  d.spec.domain = dns;
  d.status.ca_fingerprint = std::move(fp);
  for (auto& f : previous) d.status.previous_cas.push_back({std::move(f), "", std::nullopt});
  return d;
}

// ---- API: spec.consistency

json with_consistency(const json& consistency) {
  return {{"apiVersion", "secprov.io/v1alpha1"},
          {"kind", "SecurityProfile"},
          {"metadata", {{"name", "amf"}, {"namespace", "5gc"}}},
          {"spec",
           {{"nfType", "AMF"},
            {"selector", {{"matchLabels", {{"a", "b"}}}}},
            {"trustDomainRef", {{"name", "home"}}},
            {"consistency", consistency}}}};
}

TEST(ConsistencyApi, ModeDefaultsToWarn) {
  const auto absent = profile("amf", "AMF");
  EXPECT_EQ(api::consistency_mode(absent), api::ConsistencyMode::Warn);
  auto empty = api::parse_security_profile(with_consistency(json::object()));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(api::consistency_mode(*empty), api::ConsistencyMode::Warn);
  auto enforce = api::parse_security_profile(with_consistency({{"mode", "Enforce"}}));
  ASSERT_TRUE(enforce.ok());
  EXPECT_EQ(api::consistency_mode(*enforce), api::ConsistencyMode::Enforce);
}

TEST(ConsistencyApi, ParsesExternalPeersAndRoundTrips) {
  const json c = {
      {"mode", "Enforce"},
      {"scope", {{"matchLabels", {{"slice", "a"}}}}},
      {"externalPeers",
       {{{"name", "gnb-1"},
         {"type", "gNB"},
         {"ipsec",
          {{"name", "N2"},
           {"peers", {{{"name", "amf"}, {"address", "10.0.0.1"}, {"remoteId", "amf.5gc.svc"}}}},
           {"localId", "gnb-1.ran"},
           {"certificateIds", {"gnb-1.ran"}}}}},
        {{"name", "nrf-ext"},
         {"type", "NRF"},
         {"implementation", "free5GC"},
         {"tls", {{"minVersion", "1.3"}}},
         {"dnsNames", {"nrf.example.org"}},
         {"issuerFingerprint", kFp1},
         {"trustedFingerprints", {kFp2}}},
        {{"name", "sepp-b"},
         {"type", "SEPP"},
         {"n32",
          {{"capability", "PRINS"},
           {"sender", "sepp.b.example"},
           {"plmns", {{{"mcc", "002"}, {"mnc", "02"}}}},
           {"jweCipherSuites", {"A256GCM"}},
           {"separateN32f", true}}}}}}};
  auto parsed = api::parse_security_profile(with_consistency(c));
  ASSERT_TRUE(parsed.ok()) << parsed.errors().front().message();
  EXPECT_TRUE(api::validate(*parsed).empty());
  const auto& spec = *parsed->spec.consistency;
  ASSERT_EQ(spec.external_peers.size(), 3u);
  EXPECT_EQ(spec.scope->match_labels.at("slice"), "a");
  EXPECT_EQ(spec.external_peers[0].ipsec->interface.peers.at(0).remote_id, "amf.5gc.svc");
  EXPECT_EQ(spec.external_peers[0].ipsec->local_id, "gnb-1.ran");
  EXPECT_EQ(spec.external_peers[1].tls->min_version, api::TlsVersion::V1_3);
  EXPECT_EQ(spec.external_peers[1].tls->max_version, api::TlsVersion::V1_3);  // default
  EXPECT_EQ(spec.external_peers[2].n32->sender, "sepp.b.example");
  // to_json is what the apiserver stores; parsing it gives the same spec.
  auto again =
      api::parse_security_profile(with_consistency(api::to_json(parsed->spec)["consistency"]));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->spec.consistency, parsed->spec.consistency);

  const auto x = external_peer(spec.external_peers[2]);
  EXPECT_EQ(x.type, EndType{ExternalKind::RemoteSepp});
  EXPECT_EQ(x.n32_capability, api::N32Capability::PRINS);
  const auto nrf = external_peer(spec.external_peers[1]);
  EXPECT_EQ(nrf.type, EndType{api::NfType::NRF});
  EXPECT_EQ(nrf.implementation, api::NfImplementation::Free5GC);
  EXPECT_EQ(nrf.tls.min_version, api::TlsVersion::V1_3);
  EXPECT_EQ(external_peer(spec.external_peers[0]).type, EndType{ExternalKind::Gnb});
}

TEST(ConsistencyApi, FieldNamedErrors) {
  struct Case {
    json consistency;
    std::string field;
  };
  const std::vector<Case> cases = {
      {json::parse(R"({"mode": "Strict"})"), "spec.consistency.mode"},
      {json::parse(R"({"externalPeers": [{"name": "x", "type": "eNB"}]})"),
       "spec.consistency.externalPeers[0].type"},
      {json::parse(R"({"externalPeers": [{"name": "X_", "type": "gNB"}]})"),
       "spec.consistency.externalPeers[0].name"},
      {json::parse(
           R"({"externalPeers": [{"name": "x", "type": "gNB", "issuerFingerprint": "abc"}]})"),
       "spec.consistency.externalPeers[0].issuerFingerprint"},
      {json::parse(R"({"externalPeers": [{"name": "x", "type": "NRF", "tls": {"groups": []}}]})"),
       "spec.consistency.externalPeers[0].tls.groups"},
      {json::parse(
           R"({"externalPeers": [{"name": "x", "type": "gNB"}, {"name": "x", "type": "gNB"}]})"),
       "spec.consistency.externalPeers[1]"},
      {json::parse(R"({"externalPeers": [{"name": "x", "type": "gNB", "wat": 1}]})"),
       "spec.consistency.externalPeers[0].wat"},
      {json::parse(R"({"externalPeers": [{"name": "x", "type": "gNB", "ipsec": {"name": "N2",
          "peers": [{"name": "amf", "address": "a"}], "esp": {"proposals": ["AES!"]}}}]})"),
       "spec.consistency.externalPeers[0].ipsec.esp.proposals[0]"},
  };
  for (const auto& k : cases) {
    const auto errs = api::check_security_profile(with_consistency(k.consistency));
    EXPECT_TRUE(std::any_of(errs.begin(), errs.end(),
                            [&](const api::FieldError& e) { return e.field == k.field; }))
        << k.consistency.dump() << " -> " << (errs.empty() ? "(none)" : errs.front().message());
  }
  std::vector<json> many(api::kMaxExternalPeers + 1);
  for (std::size_t i = 0; i < many.size(); ++i) {
    many[i] = {{"name", "p" + std::to_string(i)}, {"type", "gNB"}};
  }
  const auto errs = api::check_security_profile(with_consistency({{"externalPeers", many}}));
  EXPECT_TRUE(std::any_of(errs.begin(), errs.end(), [](const api::FieldError& e) {
    return e.field == "spec.consistency.externalPeers" && e.type == api::FieldErrorType::TooMany;
  }));
}

// ---- scope building

TEST(Scope, TrustDomainInfoListsAcceptedThenPrevious) {
  const auto d = domain("home", "5gc.mnc001.mcc001.3gppnetwork.org", kFp1, {kFp2});
  const auto info = trust_domain_info(d);
  EXPECT_EQ(info.name, "home");
  EXPECT_EQ(info.fingerprints, (std::vector<std::string>{kFp1, kFp2}));
  ASSERT_EQ(info.plmns.size(), 1u);
  EXPECT_EQ(info.plmns[0].mcc, "001");
  EXPECT_EQ(info.plmns[0].mnc, "01");
  EXPECT_TRUE(plmns_of_domain("cluster.local").empty());
  EXPECT_EQ(plmns_of_domain("sepp.5gc.mnc123.mcc456.3gppnetwork.org").at(0).mnc, "123");
}

TEST(Scope, BuildScopeTakesOneNamespaceTheSelectorAndExternalPeersOnce) {
  std::vector<api::SecurityProfile> ps = {
      profile("amf", "AMF",
              {{"consistency", {{"externalPeers", {{{"name", "g"}, {"type", "gNB"}}}}}}}),
      profile("smf", "SMF",
              {{"consistency", {{"externalPeers", {{{"name", "g"}, {"type", "NRF"}}}}}}}),
      profile("ausf", "AUSF", json::object(), "other")};
  ps[1].metadata.labels = {{"slice", "b"}};
  const auto all = build_scope(ps, {}, "5gc");
  ASSERT_EQ(all.profiles.size(), 2u);
  ASSERT_EQ(all.external_peers.size(), 1u);
  EXPECT_EQ(all.external_peers[0].type, EndType{ExternalKind::Gnb});  // first description wins
  const auto sliced = build_scope(ps, {}, "5gc", api::LabelSelector{{{"slice", "b"}}});
  ASSERT_EQ(sliced.profiles.size(), 1u);
  EXPECT_EQ(sliced.profiles[0].metadata.name, "smf");
}

TEST(Scope, ScopeForHonoursTheProfilesSelector) {
  std::vector<api::SecurityProfile> ps = {
      profile("amf", "AMF", {{"consistency", {{"scope", {{"matchLabels", {{"slice", "a"}}}}}}}}),
      profile("ausf-a", "AUSF"), profile("ausf-b", "AUSF"), profile("upf", "UPF")};
  ps[1].metadata.labels = {{"slice", "a"}};
  ps[2].metadata.labels = {{"slice", "b"}};
  ps[3].metadata.labels = {{"slice", "a"}};
  const auto scope = scope_for(ps[0], ptrs(ps), {});
  std::vector<std::string> names;
  for (const auto& p : scope.profiles) names.push_back(p.metadata.name);
  // upf: same slice, but no relation with an AMF and no peer list: not a candidate.
  EXPECT_EQ(names, (std::vector<std::string>{"amf", "ausf-a"}));
  const auto pairs = evaluate_for(scope, "5gc/amf");
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].b, "5gc/ausf-a");
}

TEST(Scope, ExternalPeerGivesAFinding) {
  // An external free5GC AUSF offers TLS 1.2 only; the AMF asks for 1.3 only.
  auto amf =
      profile("amf", "AMF",
              {{"sbi", {{"tls", {{"minVersion", "1.3"}}}}},
               {"consistency",
                {{"externalPeers",
                  {{{"name", "ausf-ext"}, {"type", "AUSF"}, {"tls", {{"maxVersion", "1.2"}}}}}}}}});
  const std::vector<api::SecurityProfile> ps = {amf};
  const auto scope = scope_for(amf, ptrs(ps), {});
  const auto pairs = evaluate_for(scope, "5gc/amf");
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].b, "external/ausf-ext");
  EXPECT_FALSE(pairs[0].consistent());
  EXPECT_TRUE(std::any_of(pairs[0].findings.begin(), pairs[0].findings.end(),
                          [](const Finding& f) { return f.reason == "NoCommonTlsVersion"; }));
}

// ---- evaluate_for == evaluate().involving(), over the samples and a mixed scope

std::vector<PairResult> involving(const Report& r, const std::string& id) {
  std::vector<PairResult> out;
  for (const auto* p : r.involving(id)) out.push_back(*p);
  return out;
}

void expect_same_as_evaluate(const Scope& scope) {
  const auto report = evaluate(scope);
  std::vector<std::string> ids;
  for (const auto& p : scope.profiles) ids.push_back(End{&p, nullptr}.id());
  for (const auto& x : scope.external_peers) ids.push_back(End{nullptr, &x}.id());
  std::size_t pairs = 0;
  for (const auto& id : ids) {
    const auto mine = evaluate_for(scope, id);
    EXPECT_EQ(mine, involving(report, id)) << id;
    pairs += mine.size();
  }
  EXPECT_GT(pairs, 0u);
}

TEST(EvaluateFor, SamplesGiveTheSamePairsAsEvaluate) {
  namespace fs = std::filesystem;
  std::vector<api::SecurityProfile> ps;
  std::vector<api::TrustDomain> ds;
  for (const auto& e :
       fs::directory_iterator(fs::path(SECPROV_SOURCE_DIR) / "deploy" / "samples")) {
    if (e.path().extension() != ".yaml") continue;
    for (const auto& doc : api::testing::load_yaml_file(e.path().string())) {
      if (doc.value("kind", "") == "SecurityProfile") {
        if (auto p = api::parse_security_profile(doc); p.ok()) ps.push_back(*p);
      } else if (doc.value("kind", "") == "TrustDomain") {
        if (auto d = api::parse_trust_domain(doc); d.ok()) ds.push_back(*d);
      }
    }
  }
  ASSERT_FALSE(ps.empty());
  expect_same_as_evaluate(build_scope(ps, ds, "5gc"));
}

TEST(EvaluateFor, MixedScopeWithExternalsGivesTheSamePairsAsEvaluate) {
  std::vector<api::SecurityProfile> ps = {
      profile("amf", "AMF",
              {{"ipsec",
                {{"interfaces",
                  {{{"name", "N2"}, {"peers", {{{"name", "gnb-1"}, {"address", "10.0.0.9"}}}}}}}}},
               {"enabler",
                {{"mode", "Sidecar"},
                 {"outbound",
                  {{{"name", "nrf-ext"},
                    {"localPort", 9000},
                    {"host", "nrf.example.org"},
                    {"port", 443}}}}}},
               {"consistency",
                {{"externalPeers",
                  {{{"name", "gnb-1"},
                    {"type", "gNB"},
                    {"ipsec",
                     {{"name", "N2"}, {"peers", {{{"name", "amf"}, {"address", "10.0.0.1"}}}}}}},
                   {{"name", "nrf-ext"}, {"type", "NRF"}, {"dnsNames", {"nrf.example.org"}}},
                   {{"name", "sepp-b"},
                    {"type", "SEPP"},
                    {"n32", {{"sender", "sepp.b.example"}}}}}}}}}),
      profile("smf", "SMF",
              {{"ipsec",
                {{"interfaces",
                  {{{"name", "N4"}, {"peers", {{{"name", "upf"}, {"address", "10.0.0.3"}}}}}}}}}}),
      profile("upf", "UPF"),
      profile("ausf", "AUSF"),
      profile("nrf", "NRF"),
      profile("sepp", "SEPP",
              {{"n32",
                {{"peers",
                  {{{"name", "b"},
                    {"fqdn", "sepp.b.example"},
                    {"plmns", {{{"mcc", "002"}, {"mnc", "02"}}}},
                    {"trustAnchorRef", {{"name", "b-roots"}}}}}}}}})};
  const std::vector<api::TrustDomain> ds = {
      domain("home", "5gc.mnc001.mcc001.3gppnetwork.org", kFp1)};
  expect_same_as_evaluate(build_scope(ps, ds, "5gc"));
  // And each profile's own reduced scope gives its pairs too.
  const auto whole = evaluate(build_scope(ps, ds, "5gc"));
  for (const auto& p : ps) {
    const std::string id = "5gc/" + p.metadata.name;
    EXPECT_EQ(evaluate_for(scope_for(p, ptrs(ps), {}), id).size(), whole.involving(id).size())
        << id;
  }
}

// The branches the mixed scope does not reach: N32 between two SEPP profiles, an external
// gNB listing a profile that does not list it back (and one without that interface), an
// external consumer that dials a name, and an enabler outbound peer outside the catalogue.
TEST(EvaluateFor, OneWayListsAndProfilePairsGiveTheSamePairsAsEvaluate) {
  const auto sepp = [](const std::string& name, const std::string& peer) {
    return profile(name, "SEPP",
                   {{"n32",
                     {{"peers",
                       {{{"name", peer},
                         {"fqdn", peer + ".5gc.svc"},
                         {"plmns", {{{"mcc", "001"}, {"mnc", "01"}}}},
                         {"trustAnchorRef", {{"name", "roots"}}}}}}}}});
  };
  const std::vector<api::SecurityProfile> ps = {
      sepp("sepp-a", "sepp-b"), sepp("sepp-b", "sepp-a"),
      profile(
          "amf", "AMF",
          {{"ipsec",
            {{"interfaces",
              {{{"name", "N2"}, {"peers", {{{"name", "gnb-1"}, {"address", "10.0.0.8"}}}}}}}}}}),
      profile(
          "upf", "UPF",
          {{"enabler",
            {{"mode", "Sidecar"},
             {"outbound",
              {{{"name", "ausf"}, {"localPort", 9000}, {"host", "ausf.5gc.svc"}, {"port", 443}}}}}},
           {"consistency",
            {{"externalPeers",
              {{{"name", "gnb-9"},
                {"type", "gNB"},
                {"ipsec",
                 {{"name", "N2"},
                  {"peers",
                   {{{"name", "amf"}, {"address", "10.0.0.1"}},
                    {{"name", "upf"}, {"address", "10.0.0.2"}}}}}}},
               {{"name", "amf-ext"}, {"type", "AMF"}, {"dials", "ausf.5gc.svc"}}}}}}}),
      profile("ausf", "AUSF")};
  const auto scope = build_scope(ps, {}, "5gc");
  expect_same_as_evaluate(scope);

  std::vector<std::string> found;
  for (const auto& pair : discover_pairs(scope)) {
    found.push_back(std::string(to_string(pair.interface)) + " " + pair.a.id() + " " + pair.b.id() +
                    " " + pair.dialled_name + (pair.relation ? "" : " (listed)"));
  }
  const std::vector<std::string> expected = {
      "SBI 5gc/amf 5gc/ausf ",
      "SBI 5gc/upf 5gc/ausf ausf.5gc.svc (listed)",
      "SBI external/amf-ext 5gc/ausf ausf.5gc.svc",
      "N2 5gc/amf external/gnb-9 ",  // gnb-9 lists the upf too, which has no N2
      "N32 5gc/sepp-a 5gc/sepp-b ",
  };
  for (const auto& pair : expected) {
    EXPECT_NE(std::find(found.begin(), found.end(), pair), found.end()) << pair;
  }
  EXPECT_TRUE(std::none_of(found.begin(), found.end(),
                           [](const auto& p) { return p.starts_with("N2 5gc/upf"); }));
  EXPECT_TRUE(discover_pairs(scope, "5gc/none").empty());
}

}  // namespace
}  // namespace secprov::check
