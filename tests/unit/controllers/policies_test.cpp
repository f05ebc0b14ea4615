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
    std::optional<crypto::LeafFacts> leaf;
    if (c.leaf) {
      leaf = crypto::LeafFacts::of(leaf_until(c.leaf_from_other_ca ? other : ca, kNow + *c.leaf));
    }
    const crypto::LeafFacts::Issuer issuer(ca.certificate());
    const Input input{.leaf = leaf ? &*leaf : nullptr,
                      .ca = &ca.certificate(),
                      .issuer = &issuer,
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

// The certificate of a Secret being deleted: revoked only when nobody is to use it again.
TEST(PoliciesTest, ADeletedSecretsCertificateIsRevokedOnlyWhenItsProfileIsGone) {
  const auto gone = revocation_on_deletion(/*controlled_by_a_profile=*/true,
                                           /*profile_lives=*/false);
  ASSERT_TRUE(gone.has_value());
  EXPECT_EQ(gone->reason, "ProfileDeleted");
  // Deleted by someone while its profile lives: issued again, the old one may still be served.
  EXPECT_FALSE(revocation_on_deletion(true, true).has_value());
  // Released by a Retain deletion: it stays in use.
  EXPECT_FALSE(revocation_on_deletion(false, false).has_value());
}

TEST(PoliciesTest, AnOrphanedCertificateSecretIsLetGoOnceNoProfileOfItsNameLives) {
  EXPECT_TRUE(revocation_hold_orphaned(/*controlled_by_a_profile=*/false,
                                       /*a_profile_of_its_name_lives=*/false));
  // A profile of its name lives: it adopts the Secret, which stays held.
  EXPECT_FALSE(revocation_hold_orphaned(false, true));
  // Controlled: its owner's deletion (or its own) decides.
  EXPECT_FALSE(revocation_hold_orphaned(true, false));
  EXPECT_FALSE(revocation_hold_orphaned(true, true));
}

TEST(PoliciesTest, OnlyRetainOrAFinalizerAlreadyHeldGuardsAProfilesDeletion) {
  EXPECT_FALSE(profile_finalizer_needed(api::DeletionPolicy::Delete, false));
  EXPECT_TRUE(profile_finalizer_needed(api::DeletionPolicy::Retain, false));
  // Held from an earlier version, or from a time it was Retain: kept to guard its deletion.
  EXPECT_TRUE(profile_finalizer_needed(api::DeletionPolicy::Delete, true));
  EXPECT_TRUE(profile_finalizer_needed(api::DeletionPolicy::Retain, true));
}

// A trust domain's key pair issues only when its status accepts it, with one exception that
// is not a refusal: the instant between a rotation's promotion and its status saying so.
TEST(PoliciesTest, TheCachesAbsenceIsTrustedOnlyOnAFirstProvisioningWithoutAConflict) {
  const auto condition = [](api::ConditionStatus status, const std::string& reason) {
    api::Condition c;
    c.type = std::string(api::kConditionStalled);
    c.status = status;
    c.reason = reason;
    return c;
  };
  api::SecurityProfileStatus fresh;
  EXPECT_TRUE(cache_absence_trusted(fresh));
  api::SecurityProfileStatus provisioned;
  provisioned.objects.push_back({"Secret", "amf-tls", "sha256:1", api::ObjectState::InSync});
  EXPECT_FALSE(cache_absence_trusted(provisioned));  // an object missing from it is read
  api::SecurityProfileStatus conflicting;
  conflicting.conditions.push_back(condition(api::ConditionStatus::True, "ObjectConflict"));
  EXPECT_FALSE(cache_absence_trusted(conflicting));  // every recheck reads the names
  api::SecurityProfileStatus resolved;
  resolved.conditions.push_back(condition(api::ConditionStatus::False, "ObjectConflict"));
  EXPECT_TRUE(cache_absence_trusted(resolved));
  api::SecurityProfileStatus invalid;
  invalid.conditions.push_back(condition(api::ConditionStatus::True, "InvalidSpec"));
  EXPECT_TRUE(cache_absence_trusted(invalid));
}

TEST(PoliciesTest, IssuerAcceptanceTable) {
  const std::string old_ca(64, 'a');
  const std::string new_ca(64, 'b');
  const std::string other(64, 'c');
  const auto status_with = [&](bool ready, std::optional<api::RotationPhase> phase) {
    api::TrustDomainStatus status;
    status.ca_fingerprint = old_ca;
    api::Condition condition;
    condition.type = std::string(api::kConditionReady);
    condition.status = ready ? api::ConditionStatus::True : api::ConditionStatus::False;
    condition.reason = ready ? "Ready" : "Stalled";
    status.conditions.push_back(condition);
    if (phase) {
      api::CaRotation rotation;
      rotation.phase = *phase;
      rotation.token = "t1";
      rotation.old_ca_fingerprint = old_ca;
      rotation.new_ca_fingerprint = new_ca;
      status.rotation = rotation;
    }
    return status;
  };
  struct Row {
    const char* name;
    api::TrustDomainStatus status;
    std::string key_pair;
    IssuerVerdict verdict;
    const char* reason;
  };
  auto moved_on = status_with(true, api::RotationPhase::Reissuing);
  moved_on.ca_fingerprint = new_ca;
  const std::vector<Row> rows = {
      {"AcceptedCa", status_with(true, std::nullopt), old_ca, IssuerVerdict::Accepted, ""},
      {"AcceptedDuringRotation", status_with(true, api::RotationPhase::Distributing), old_ca,
       IssuerVerdict::Accepted, ""},
      {"NotReady", status_with(false, std::nullopt), old_ca, IssuerVerdict::Refused,
       "TrustDomainNotReady"},
      {"OtherKeyPair", status_with(true, std::nullopt), other, IssuerVerdict::Refused,
       "TrustDomainNotReady"},
      {"NewCaWithoutRotation", status_with(true, std::nullopt), new_ca, IssuerVerdict::Refused,
       "TrustDomainNotReady"},
      {"JustPromoted", status_with(true, api::RotationPhase::Distributing), new_ca,
       IssuerVerdict::Promoted, "CAPromotionPending"},
      {"PromotedButNotReady", status_with(false, api::RotationPhase::Distributing), new_ca,
       IssuerVerdict::Refused, "TrustDomainNotReady"},
      {"ThirdCaDuringRotation", status_with(true, api::RotationPhase::Distributing), other,
       IssuerVerdict::Refused, "TrustDomainNotReady"},
      {"NewCaAccepted", moved_on, new_ca, IssuerVerdict::Accepted, ""},
      {"OldCaBackAfterAcceptance", moved_on, old_ca, IssuerVerdict::Refused, "TrustDomainNotReady"},
      {"CompleteRotationNewCaNotAccepted", status_with(true, api::RotationPhase::Complete), new_ca,
       IssuerVerdict::Refused, "TrustDomainNotReady"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto check = issuer_acceptance("core", row.status, row.key_pair);
    EXPECT_EQ(check.verdict, row.verdict);
    EXPECT_EQ(check.why.reason, row.reason);
    if (row.verdict != IssuerVerdict::Accepted) {
      EXPECT_NE(check.why.message.find("TrustDomain core"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace secprov::controllers::policies
