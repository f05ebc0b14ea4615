#include "crypto/crl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "crypto/errors.h"
#include "test_support.h"

namespace secprov::crypto {
namespace {

using test_support::fixed_now;
using test_support::make_ca;
using test_support::nf_template;
using ::testing::ElementsAre;
using namespace std::chrono_literals;

Certificate issue_leaf(const CertificateAuthority& ca) {
  const PrivateKey key = PrivateKey::generate(KeyAlgorithm::EcdsaP256);
  const auto request = nf_template(fixed_now());
  return ca.sign(CertificateSigningRequest::create(key, request), request, fixed_now());
}

TEST(Crl, SignedByTheCaWithItsEntriesAndValidity) {
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca(KeyAlgorithm::EcdsaP384, "root", now);
  const Certificate revoked = issue_leaf(ca);
  const Certificate kept = issue_leaf(ca);

  const auto crl = issue_crl(ca, {.revoked = {{revoked.serial_hex(), now + 10min}},
                                  .this_update = now + 1h,
                                  .next_update = now + 25h,
                                  .number = 7});
  EXPECT_TRUE(crl.issued_by(ca.certificate()));
  EXPECT_FALSE(crl.issued_by(make_ca(KeyAlgorithm::EcdsaP384, "root", now).certificate()));
  EXPECT_EQ(crl.issuer(), ca.certificate().subject());
  EXPECT_EQ(crl.this_update(), now + 1h);
  EXPECT_EQ(crl.next_update(), now + 25h);
  EXPECT_EQ(crl.number(), 7u);
  EXPECT_THAT(crl.revoked(), ElementsAre(RevokedCertificate{revoked.serial_hex(), now + 10min}));
  EXPECT_TRUE(crl.revokes(revoked));
  EXPECT_FALSE(crl.revokes(kept));
}

TEST(Crl, PemRoundTripAndEmptyList) {
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca(KeyAlgorithm::EcdsaP256, "root", now);
  const auto crl = issue_crl(ca, {.revoked = {}, .this_update = now, .next_update = now + 1h});
  const auto pem = crl.to_pem();
  EXPECT_NE(pem.find("-----BEGIN X509 CRL-----"), std::string::npos);
  const auto parsed = CertificateRevocationList::from_pem(pem);
  EXPECT_EQ(parsed, crl);
  EXPECT_TRUE(parsed.revoked().empty());
  EXPECT_EQ(parsed.number(), 1u);
  EXPECT_TRUE(parsed.issued_by(ca.certificate()));
}

TEST(Crl, RejectsBadRequests) {
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca();
  EXPECT_THROW((void)issue_crl(ca, {.revoked = {}, .this_update = now, .next_update = now}),
               IssuanceError);
  EXPECT_THROW(
      (void)issue_crl(ca,
                      {.revoked = {{"not-hex", now}}, .this_update = now, .next_update = now + 1h}),
      IssuanceError);
  EXPECT_THROW((void)CertificateRevocationList::from_pem("no CRL here"), CryptoError);
}

}  // namespace
}  // namespace secprov::crypto
