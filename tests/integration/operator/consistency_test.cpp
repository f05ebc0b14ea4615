// Issue 11 §1 and §3 against the real control plane: the consistency controller gives each
// SecurityProfile a Consistent condition naming the peer, the interface and the mismatch, a
// bounded status.consistency list, Events on changes of state, the gauge
// secprov_inconsistent_pairs{interface} and a kubectl column; checks run when either side or a
// trust domain changes, and the steady state writes nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "operator_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;

constexpr auto kSettle = std::chrono::seconds(60);

class ConsistencyTest : public OperatorTest {
 protected:
  Json document(const std::string& name, const std::string& nf_type, Json spec = Json::object(),
                const std::string& domain = {}) const {
    Json doc = {{"apiVersion", "secprov.io/v1alpha1"},
                {"kind", "SecurityProfile"},
                {"metadata", {{"name", name}}},
                {"spec",
                 {{"nfType", nf_type},
                  {"selector", {{"matchLabels", {{"app.kubernetes.io/name", name}}}}},
                  {"trustDomainRef", {{"name", domain.empty() ? trust_domain_ : domain}}}}}};
    doc["spec"].merge_patch(spec);
    return doc;
  }
  void apply(const Json& doc) {
    std::string output;
    ASSERT_EQ(apply_yaml(doc.dump(2), &output), 0) << output;
  }
  // The profile's status, an empty object before the first status write.
  Json status(const std::string& name) {
    const Json p = profile(name);
    const auto it = p.find("status");
    return it != p.end() && it->is_object() ? *it : Json::object();
  }
  Json condition(const std::string& name) {
    for (const auto& c : status(name).value("conditions", Json::array())) {
      if (c.value("type", "") == "Consistent") return c;
    }
    return Json::object();
  }
  // Consistent with `want` (and `reason` when given) for the current generation.
  void expect_consistent(const std::string& name, const std::string& want,
                         const std::string& reason = {}) {
    ASSERT_TRUE(eventually(
        [&] {
          const Json c = condition(name);
          return c.value("status", "") == want &&
                 (reason.empty() || c.value("reason", "") == reason) &&
                 c.value("observedGeneration", 0) == profile(name)["metadata"]["generation"];
        },
        kSettle))
        << name << ": " << status(name).dump(2) << "\n"
        << operators_[0]->log();
  }
  Json result(const std::string& name, std::size_t i = 0) {
    const Json list = status(name).value("consistency", Json::array());
    return i < list.size() ? list.at(i) : Json::object();
  }
  bool event(const std::string& name, const std::string& type, const std::string& reason) {
    std::string output;
    if (kubectl("get events -n " + namespace_ +
                    " -o json --field-selector involvedObject.name=" + name + ",reason=" + reason,
                &output) != 0) {
      return false;
    }
    const Json events = Json::parse(output, nullptr, false);
    if (!events.is_object()) return false;
    for (const auto& e : events.value("items", Json::array())) {
      if (e.value("type", "") == type) return true;
    }
    return false;
  }
  double inconsistent(const std::string& interface) {
    return metric(0, "secprov_inconsistent_pairs", "interface=\"" + interface + "\"");
  }
};

// (a) A consumer capped at TLS 1.2 and a producer moved to 1.3-only: Consistent=False on both
// with the reason, an Event, the gauge, the column; fixed: True again. The steady state
// writes nothing.
TEST_F(ConsistencyTest, TlsVersionMismatchOnBothEndsAndBack) {
  create_trust_domain();
  start_operator("op");
  apply(document("amf", "AMF", {{"sbi", {{"tls", {{"maxVersion", "1.2"}}}}}}));
  apply(document("ausf", "AUSF"));
  expect_consistent("amf", "True", "Consistent");
  expect_consistent("ausf", "True", "Consistent");
  EXPECT_NE(condition("amf").value("message", "").find("1 peer(s)"), std::string::npos)
      << condition("amf");

  apply(document("ausf", "AUSF", {{"sbi", {{"tls", {{"minVersion", "1.3"}}}}}}));
  expect_consistent("ausf", "False", "NoCommonTlsVersion");
  expect_consistent("amf", "False", "NoCommonTlsVersion");
  for (const auto& [self, peer] : {std::pair{"amf", "ausf"}, std::pair{"ausf", "amf"}}) {
    const std::string message = condition(self).value("message", "");
    EXPECT_NE(message.find(std::string(peer) + " SBI NoCommonTlsVersion"), std::string::npos)
        << message;
    EXPECT_NE(message.find("1.2"), std::string::npos) << message;
    const Json r = result(self);
    EXPECT_EQ(r.value("peer", ""), peer);
    EXPECT_EQ(r.value("interface", ""), "SBI");
    EXPECT_FALSE(r.value("consistent", true));
    EXPECT_EQ(r.value("reason", ""), "NoCommonTlsVersion");
  }
  EXPECT_TRUE(eventually([&] { return event("amf", "Warning", "Inconsistent"); }, kSettle));
  EXPECT_TRUE(eventually([&] { return inconsistent("SBI") == 1; }, kSettle)) << inconsistent("SBI");
  std::string table;
  ASSERT_EQ(kubectl("get securityprofile -n " + namespace_, &table), 0) << table;
  EXPECT_NE(table.find("CONSISTENT"), std::string::npos) << table;

  apply(document("amf", "AMF", {{"sbi", {{"tls", {{"maxVersion", "1.3"}}}}}}));
  expect_consistent("amf", "True", "Consistent");
  expect_consistent("ausf", "True", "Consistent");
  EXPECT_TRUE(eventually([&] { return event("amf", "Normal", "Consistent"); }, kSettle));
  EXPECT_TRUE(eventually([&] { return inconsistent("SBI") == 0; }, kSettle));
  EXPECT_TRUE(eventually([&] { return profile_condition("amf", "Ready", "True"); }, kSettle));

  // Steady state: a label change makes both controllers look again (the consistency one at
  // the AMF and its peers); once they have, neither profile was written.
  const auto reconciles = [&](const std::string& controller) {
    return metric(0, "controller_runtime_reconcile_total", "controller=\"" + controller + "\"");
  };
  const double consistency_before = reconciles("consistency");
  const double profile_before = reconciles("securityprofile");
  ASSERT_EQ(kubectl("label securityprofile amf -n " + namespace_ + " tier=core"), 0);
  const std::string amf_rv = profile("amf")["metadata"].value("resourceVersion", "");
  const std::string ausf_rv = profile("ausf")["metadata"].value("resourceVersion", "");
  ASSERT_TRUE(eventually(
      [&] {
        return reconciles("consistency") >= consistency_before + 2 &&
               reconciles("securityprofile") >= profile_before + 1;
      },
      kSettle));
  EXPECT_EQ(profile("amf")["metadata"].value("resourceVersion", ""), amf_rv)
      << profile("amf").dump(2);
  EXPECT_EQ(profile("ausf")["metadata"].value("resourceVersion", ""), ausf_rv);
}

// (b) N32: one SEPP says TLS, its partner PRINS.
TEST_F(ConsistencyTest, N32TlsAgainstPrins) {
  create_trust_domain();
  start_operator("op");
  const auto sepp = [&](const std::string& name, const std::string& capability,
                        const std::string& peer, const std::string& mnc) {
    return document(name, "SEPP",
                    {{"n32",
                      {{"capability", capability},
                       {"peers",
                        {{{"name", peer},
                          {"fqdn", peer + "." + namespace_ + ".svc"},
                          {"plmns", {{{"mcc", "001"}, {"mnc", mnc}}}},
                          {"trustAnchorRef", {{"name", peer + "-roots"}}}}}}}}});
  };
  apply(sepp("sepp-a", "TLS", "sepp-b", "02"));
  apply(sepp("sepp-b", "PRINS", "sepp-a", "01"));
  expect_consistent("sepp-a", "False", "N32CapabilityMismatch");
  expect_consistent("sepp-b", "False", "N32CapabilityMismatch");
  const Json r = result("sepp-a");
  EXPECT_EQ(r.value("peer", ""), "sepp-b");
  EXPECT_EQ(r.value("interface", ""), "N32");
  EXPECT_NE(condition("sepp-a").value("message", "").find("PRINS"), std::string::npos)
      << condition("sepp-a");
  EXPECT_TRUE(eventually([&] { return inconsistent("N32") == 1; }, kSettle));

  apply(sepp("sepp-b", "TLS", "sepp-a", "01"));
  ASSERT_TRUE(eventually(
      [&] {
        return condition("sepp-a").value("reason", "") != "N32CapabilityMismatch" &&
               result("sepp-a").value("reason", "") != "N32CapabilityMismatch";
      },
      kSettle))
      << status("sepp-a").dump(2);
}

// (c) An external peer described in spec.consistency.externalPeers: a free5GC-like AUSF
// outside the cluster that stops at TLS 1.2, for an AMF that asks for 1.3 only.
TEST_F(ConsistencyTest, ExternalPeerGivesAFinding) {
  create_trust_domain();
  start_operator("op");
  apply(document("amf", "AMF",
                 {{"sbi", {{"tls", {{"minVersion", "1.3"}}}}},
                  {"consistency",
                   {{"externalPeers",
                     {{{"name", "ausf-ext"},
                       {"type", "AUSF"},
                       {"tls", {{"maxVersion", "1.2"}}},
                       {"dnsNames", {"ausf.example.org"}}}}}}}}));
  expect_consistent("amf", "False", "NoCommonTlsVersion");
  const Json r = result("amf");
  EXPECT_EQ(r.value("peer", ""), "external/ausf-ext");
  EXPECT_EQ(r.value("interface", ""), "SBI");
  EXPECT_NE(condition("amf").value("message", "").find("external/ausf-ext"), std::string::npos)
      << condition("amf");
  EXPECT_TRUE(eventually([&] { return inconsistent("SBI") == 1; }, kSettle)) << inconsistent("SBI");

  // The API refuses a malformed description, naming the field.
  std::string output;
  EXPECT_NE(
      apply_yaml(document("amf", "AMF",
                          {{"consistency",
                            {{"externalPeers",
                              {{{"name", "x"}, {"type", "gNB"}, {"issuerFingerprint", "zz"}}}}}}})
                     .dump(2),
                 &output),
      0);
  EXPECT_NE(output.find("spec.consistency.externalPeers[0].issuerFingerprint"), std::string::npos)
      << output;
}

// (d) A TrustDomain's change re-evaluates the profiles that use it. The AMF's domain does not
// exist yet: its CA is unknown, so whether the external AUSF (which issues from and trusts
// another CA) is trusted cannot be told (Info: consistent). Once the domain's CA exists, the
// AMF trusts that CA only: the AUSF's issuer is not trusted. Only the TrustDomain changed
// (the AMF's own status changes re-evaluate nothing).
TEST_F(ConsistencyTest, TrustDomainChangeReevaluates) {
  const std::string other_ca(64, 'a');
  const std::string domain = "td-" + namespace_;
  start_operator("op");
  apply(document("amf", "AMF",
                 {{"consistency",
                   {{"externalPeers",
                     {{{"name", "ausf-ext"},
                       {"type", "AUSF"},
                       {"issuerFingerprint", other_ca},
                       {"trustedFingerprints", {other_ca}}}}}}}},
                 domain.substr(0, 60)));
  expect_consistent("amf", "True", "Consistent");
  create_trust_domain();
  ASSERT_EQ(trust_domain_, domain.substr(0, 60));
  expect_consistent("amf", "False");
  const std::string reason = condition("amf").value("reason", "");
  EXPECT_TRUE(reason == "ServerIssuerNotTrusted" || reason == "ClientIssuerNotTrusted") << reason;
  EXPECT_EQ(result("amf").value("peer", ""), "external/ausf-ext");
}

}  // namespace
}  // namespace secprov::testing
