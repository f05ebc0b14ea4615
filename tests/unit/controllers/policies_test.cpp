// Issuance decisions, table-driven: which certificate is (re)issued and why, and when a due
// renewal is held back because issuing again could not help (the renewal-storm defect).
#include "controllers/policies.h"

#include <gtest/gtest.h>

#include "crypto/authority.h"
#include "crypto/csr.h"

namespace secprov::controllers::policies {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

const Clock::time_point kNow = std::chrono::time_point_cast<std::chrono::seconds>(Clock::now());

crypto::CertificateAuthority make_ca(Clock::duration validity) {
  return crypto::CertificateAuthority::create_self_signed(
      crypto::KeyAlgorithm::EcdsaP256,
      {.country = "FR", .organization = "test", .organizational_unit = {}, .common_name = "ca"},
      validity, kNow - 1h);
}

crypto::Certificate leaf_until(const crypto::CertificateAuthority& ca,
                               Clock::time_point not_after) {
  const auto key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
  crypto::CertificateTemplate t;
  t.dns_names = {"amf.5gc.svc"};
  t.not_before = kNow - 1h;
  t.not_after = not_after;
  return ca.sign(crypto::CertificateSigningRequest::create(key, t), t, kNow);
}

struct Case {
  const char* name;
  Clock::duration ca_validity;          // from kNow - 1h
  std::optional<Clock::duration> leaf;  // leaf notAfter from kNow; nullopt: no leaf
  bool leaf_from_other_ca;
  std::chrono::seconds duration;
  std::chrono::seconds renew_before;
  std::optional<std::string> trigger;    // issuing_needed(...).reason
  std::optional<std::string> held_back;  // renewal_held_back(...).reason
};

TEST(PoliciesTest, DecidesIssuingAndHoldsBackRenewalsThatCannotHelp) {
  const std::vector<Case> cases = {
      {"no certificate", 24h * 365, std::nullopt, false, 2160h, 720h, "DoesNotExist", std::nullopt},
      {"fresh certificate", 24h * 365, 2000h, false, 2160h, 720h, std::nullopt, std::nullopt},
      {"inside the renewal window", 24h * 365, 100h, false, 2160h, 720h, "Renewing", std::nullopt},
      {"another CA issued it", 24h * 365, 2000h, true, 2160h, 720h, "IssuerChanged", std::nullopt},
      // The CA ends in 10 days: the leaf is capped at it and a reissue gets the same end.
      {"CA expires inside the window", 10 * 24h + 1h, 10 * 24h, false, 2160h, 720h, std::nullopt,
       "CAExpiringSoon"},
      {"renewBefore not below duration", 24h * 365, 1h, false, 1h, 2h, std::nullopt,
       "RenewBeforeNotBelowDuration"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto ca = make_ca(c.ca_validity);
    const auto other = make_ca(24h * 365);
    std::optional<crypto::Certificate> leaf;
    if (c.leaf) leaf = leaf_until(c.leaf_from_other_ca ? other : ca, kNow + *c.leaf);
    const Input input{.leaf = leaf ? &*leaf : nullptr,
                      .ca = &ca.certificate(),
                      .now = kNow,
                      .duration = c.duration,
                      .renew_before = c.renew_before};
    const auto trigger = issuing_needed(input);
    EXPECT_EQ(trigger ? std::optional(trigger->reason) : std::nullopt, c.trigger);
    const auto held = renewal_held_back(input);
    EXPECT_EQ(held ? std::optional(held->reason) : std::nullopt, c.held_back);
    if (held) {
      EXPECT_FALSE(held->message.empty());
      // Held back: looked at again when the certificate expires, not in a loop.
      EXPECT_EQ(next_check(input), leaf->not_after());
    } else if (leaf && !trigger) {
      EXPECT_EQ(next_check(input), leaf->not_after() - c.renew_before);
    }
  }
}

TEST(PoliciesTest, RevokesOnlyACertificateWhoseKeyWasEditedAndOfTheCurrentCa) {
  const auto compromised = revocation_on_replacement(true, true);
  ASSERT_TRUE(compromised.has_value());
  EXPECT_EQ(compromised->reason, "KeyCompromised");
  // A renewal or spec change supersedes: the NF may still serve the old certificate.
  EXPECT_FALSE(revocation_on_replacement(false, true).has_value());
  // Another CA's certificate is not this CA's CRL's to list.
  EXPECT_FALSE(revocation_on_replacement(true, false).has_value());
}

}  // namespace
}  // namespace secprov::controllers::policies
