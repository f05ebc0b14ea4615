#include "cmd/secprovctl/explain.h"

#include <gtest/gtest.h>

namespace secprov::ctl {
namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Explain, NonSbiInterfaces) {
  const auto n4 = explain("N4");
  ASSERT_TRUE(n4);
  EXPECT_TRUE(has(*n4, "N4 SMF <-> UPF: IPsec")) << *n4;
  EXPECT_TRUE(has(*n4, "ipsec_same_authentication (IpsecAuthenticationMismatch)")) << *n4;
  const auto n32 = explain("n32");
  ASSERT_TRUE(n32);
  EXPECT_TRUE(has(*n32, "SEPP <-> RemoteSEPP")) << *n32;
  EXPECT_TRUE(has(*n32, "n32_same_capability")) << *n32;
  for (const auto* name : {"N2", "N3", "N9", "SBI"}) EXPECT_TRUE(explain(name)) << name;
}

TEST(Explain, SbiRelation) {
  for (const auto* topic : {"AMF-AUSF", "amf->ausf"}) {
    const auto text = explain(topic);
    ASSERT_TRUE(text) << topic;
    EXPECT_TRUE(has(*text, "SBI AMF -> AUSF: TLS, OAuth2")) << *text;
    EXPECT_TRUE(has(*text, "\"nausf-\"")) << *text;
    EXPECT_TRUE(has(*text, "common_tls_version")) << *text;
    EXPECT_TRUE(has(*text, "oauth2_scopes_within_producer")) << *text;
  }
}

TEST(Explain, UnknownTopics) {
  EXPECT_FALSE(explain("N7"));
  EXPECT_FALSE(explain("UPF-AUSF"));
  EXPECT_FALSE(explain("FOO-BAR"));
  EXPECT_TRUE(has(explain_topics(), "AMF-AUSF"));
}

TEST(Explain, EveryMechanismHasItsChecksDescribed) {
  for (const auto m : {check::Mechanism::Tls, check::Mechanism::OAuth2, check::Mechanism::Ipsec,
                       check::Mechanism::N32}) {
    const auto checks = checks_of(m);
    EXPECT_GE(checks.size(), 7u);
    for (const auto& c : checks) {
      EXPECT_FALSE(c.needs.empty()) << c.name;
      EXPECT_FALSE(c.reasons.empty()) << c.name;
    }
  }
}

}  // namespace
}  // namespace secprov::ctl
