#include "webhook/profile_rules.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace secprov::webhook::rules {
namespace {

using nlohmann::json;

std::shared_ptr<const api::SecurityProfile> profile(const std::string& ns, const std::string& name,
                                                    json match_labels,
                                                    std::optional<std::string> id = {},
                                                    const std::string& domain = "td") {
  json doc = {{"apiVersion", "secprov.io/v1alpha1"},
              {"kind", "SecurityProfile"},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"spec",
               {{"nfType", "AMF"},
                {"selector", {{"matchLabels", match_labels}}},
                {"trustDomainRef", {{"name", domain}}}}}};
  if (id) doc["spec"]["nfInstanceId"] = *id;
  auto parsed = api::parse_security_profile(doc);
  EXPECT_TRUE(parsed.ok()) << parsed.errors().front().message();
  return std::make_shared<const api::SecurityProfile>(parsed.value());
}

TEST(SelectorsMayOverlap, Table) {
  struct Case {
    api::Labels a, b;
    bool overlap;
  };
  const std::vector<Case> cases = {
      {{{"app", "amf"}}, {{"app", "amf"}}, true},
      {{{"app", "amf"}}, {{"app", "smf"}}, false},
      {{{"app", "amf"}}, {{"tier", "core"}}, true},  // a Pod with both labels matches both
      {{{"app", "amf"}, {"i", "1"}}, {{"app", "amf"}, {"i", "2"}}, false},
      {{{"app", "amf"}, {"i", "1"}}, {{"app", "amf"}}, true},
      {{}, {{"app", "amf"}}, true},  // empty: every Pod
      {{}, {}, true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(selectors_may_overlap({c.a}, {c.b}), c.overlap);
    EXPECT_EQ(selectors_may_overlap({c.b}, {c.a}), c.overlap) << "symmetric";
  }
}

TEST(OverlappingSelector, NamesTheFieldAndTheOtherProfile) {
  const auto candidate = profile("core", "amf-2", {{"app", "amf"}});
  const Profiles others = {profile("core", "smf", {{"app", "smf"}}),
                           profile("core", "amf-1", {{"app", "amf"}, {"i", "1"}})};
  const auto reason = overlapping_selector(*candidate, others);
  ASSERT_TRUE(reason);
  EXPECT_EQ(reason->reason, "OverlappingSelector");
  EXPECT_EQ(reason->field, "spec.selector.matchLabels");
  EXPECT_EQ(reason->message.rfind("spec.selector.matchLabels: ", 0), 0u) << reason->message;
  EXPECT_NE(reason->message.find("\"amf-1\""), std::string::npos) << reason->message;
}

TEST(OverlappingSelector, DisjointSelectorsOtherNamespacesAndItselfPass) {
  const auto candidate = profile("core", "amf", {{"app", "amf"}});
  EXPECT_FALSE(overlapping_selector(*candidate, {profile("core", "smf", {{"app", "smf"}})}));
  // The cache's index gives one namespace; another namespace's profile is never compared.
  EXPECT_FALSE(overlapping_selector(*candidate, {profile("edge", "amf", {{"app", "amf"}})}));
  // UPDATE: the stored version of the candidate itself is not "another profile".
  EXPECT_FALSE(overlapping_selector(*candidate, {profile("core", "amf", {{"app", "amf"}})}));
}

TEST(DuplicateNfInstanceId, SameTrustDomainAnyNamespace) {
  const std::string id = "0b0d8f6a-3a0e-4d2c-9a43-5f0e8d6c1b7a";
  const auto candidate = profile("core", "amf", {{"app", "amf"}}, id);
  // Another namespace, same trust domain, the ID in upper case: the same UUID.
  std::string upper = id;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const auto reason =
      duplicate_nf_instance_id(*candidate, {profile("edge", "amf-x", {{"app", "x"}}, upper)});
  ASSERT_TRUE(reason);
  EXPECT_EQ(reason->reason, "DuplicateNfInstanceId");
  EXPECT_EQ(reason->field, "spec.nfInstanceId");
  EXPECT_NE(reason->message.find("edge/amf-x"), std::string::npos) << reason->message;
}

TEST(DuplicateNfInstanceId, GeneratedIdInStatusCounts) {
  const std::string id = "0b0d8f6a-3a0e-4d2c-9a43-5f0e8d6c1b7a";
  auto other = std::make_shared<api::SecurityProfile>(*profile("edge", "smf", {{"app", "s"}}));
  other->status.nf_instance_id = id;
  const auto candidate = profile("core", "amf", {{"app", "amf"}}, id);
  EXPECT_TRUE(duplicate_nf_instance_id(*candidate, {other}));
}

TEST(DuplicateNfInstanceId, PassesOtherwise) {
  const std::string id = "0b0d8f6a-3a0e-4d2c-9a43-5f0e8d6c1b7a";
  const auto candidate = profile("core", "amf", {{"app", "amf"}}, id);
  // Another trust domain may reuse it; the candidate's own stored version is skipped; a
  // profile without an ID yet (the operator generates one) and a candidate without one pass.
  EXPECT_FALSE(duplicate_nf_instance_id(
      *candidate,
      {profile("core", "x", {{"app", "x"}}, id, "other-domain"),
       profile("core", "amf", {{"app", "amf"}}, id), profile("core", "y", {{"app", "y"}})}));
  EXPECT_FALSE(duplicate_nf_instance_id(*profile("core", "z", {{"app", "z"}}),
                                        {profile("core", "y", {{"app", "y"}})}));
}

TEST(CrossObjectViolations, ReportsEveryRuleThatHolds) {
  const std::string id = "0b0d8f6a-3a0e-4d2c-9a43-5f0e8d6c1b7a";
  const auto candidate = profile("core", "amf-2", {{"app", "amf"}}, id);
  const auto other = profile("core", "amf-1", {{"app", "amf"}}, id);
  const auto found = cross_object_violations(*candidate, {other}, {other});
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].reason, "OverlappingSelector");
  EXPECT_EQ(found[1].reason, "DuplicateNfInstanceId");
  EXPECT_TRUE(cross_object_violations(*candidate, {}, {}).empty());
}

TEST(DeprecationWarnings, Tls12OnlyAndPreSharedKey) {
  json doc = {
      {"apiVersion", "secprov.io/v1alpha1"},
      {"kind", "SecurityProfile"},
      {"metadata", {{"name", "upf"}, {"namespace", "core"}}},
      {"spec",
       {{"nfType", "UPF"},
        {"selector", {{"matchLabels", {{"app", "upf"}}}}},
        {"trustDomainRef", {{"name", "td"}}},
        {"sbi", {{"tls", {{"maxVersion", "1.2"}}}}},
        {"ipsec",
         {{"interfaces",
           {{{"name", "N4"},
             {"authentication", "PreSharedKey"},
             {"peers", {{{"name", "smf"}, {"address", "10.0.0.2"}}}}},
            {{"name", "N9"}, {"peers", {{{"name", "upf-b"}, {"address", "10.0.0.3"}}}}}}}}}}}};
  const auto parsed = api::parse_security_profile(doc);
  ASSERT_TRUE(parsed.ok()) << parsed.errors().front().message();
  const auto warnings = deprecation_warnings(*parsed);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0].rfind("spec.sbi.tls.maxVersion: ", 0), 0u) << warnings[0];
  EXPECT_EQ(warnings[1].rfind("spec.ipsec.interfaces[0].authentication: PreSharedKey on N4", 0), 0u)
      << warnings[1];

  // TLS 1.3 allowed (the default) and certificates: no warning; TLS off: no TLS warning.
  EXPECT_TRUE(deprecation_warnings(*profile("core", "amf", {{"app", "amf"}})).empty());
  auto off = doc;
  off["spec"]["sbi"]["tls"]["mode"] = "Disabled";
  off["spec"].erase("ipsec");
  const auto parsed_off = api::parse_security_profile(off);
  ASSERT_TRUE(parsed_off.ok()) << parsed_off.errors().front().message();
  EXPECT_TRUE(deprecation_warnings(*parsed_off).empty());
}

}  // namespace
}  // namespace secprov::webhook::rules
