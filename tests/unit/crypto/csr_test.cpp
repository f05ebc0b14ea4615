#include "crypto/csr.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/errors.h"
#include "test_support.h"

namespace secprov::crypto {
namespace {

using test_support::fixed_now;
using test_support::nf_template;
using ::testing::ElementsAre;

IssuanceError::Reason create_error(const CertificateTemplate& request) {
  try {
    (void)CertificateSigningRequest::create(PrivateKey::generate(KeyAlgorithm::EcdsaP256), request);
  } catch (const IssuanceError& e) {
    return e.reason();
  }
  ADD_FAILURE() << "expected IssuanceError";
  return IssuanceError::Reason::UnsupportedKey;
}

TEST(CertificateSigningRequest, CarriesSubjectSanAndKey) {
  const PrivateKey key = PrivateKey::generate(KeyAlgorithm::EcdsaP256);
  const CertificateTemplate request = nf_template(fixed_now());
  const CertificateSigningRequest csr = CertificateSigningRequest::create(key, request);

  EXPECT_TRUE(csr.verify_self_signature());
  EXPECT_EQ(csr.subject(), request.subject);
  EXPECT_EQ(csr.dns_names(), request.dns_names);
  EXPECT_EQ(csr.uris(), request.uris);
  EXPECT_EQ(csr.public_key_sha256(), key.public_key_sha256());
  EXPECT_EQ(csr.key_algorithm(), KeyAlgorithm::EcdsaP256);
}

TEST(CertificateSigningRequest, PemRoundTrip) {
  const PrivateKey key = PrivateKey::generate(KeyAlgorithm::Rsa2048);
  const CertificateSigningRequest csr =
      CertificateSigningRequest::create(key, nf_template(fixed_now()));
  const std::string pem = csr.to_pem();
  EXPECT_EQ(pem.rfind("-----BEGIN CERTIFICATE REQUEST-----\n", 0), 0u);

  const CertificateSigningRequest parsed = CertificateSigningRequest::from_pem(pem);
  EXPECT_TRUE(parsed.verify_self_signature());
  EXPECT_EQ(parsed.to_pem(), pem);
  EXPECT_EQ(parsed.public_key_sha256(), key.public_key_sha256());
  EXPECT_EQ(parsed.key_algorithm(), KeyAlgorithm::Rsa2048);
  EXPECT_THAT(parsed.uris(), ElementsAre("urn:uuid:0b7f8a4e-3c1d-4a57-9a2e-5f0d6c1b2a39"));

  const CertificateSigningRequest copy = parsed;  // deep copy
  EXPECT_EQ(copy.to_pem(), pem);
}

TEST(CertificateSigningRequest, WithoutNamesHasNoSan) {
  CertificateTemplate request;
  request.subject.common_name = "only-a-cn";
  const CertificateSigningRequest csr =
      CertificateSigningRequest::create(PrivateKey::generate(KeyAlgorithm::EcdsaP256), request);
  EXPECT_TRUE(csr.verify_self_signature());
  EXPECT_TRUE(csr.dns_names().empty());
  EXPECT_TRUE(csr.uris().empty());
  EXPECT_EQ(csr.subject().common_name, "only-a-cn");
}

TEST(CertificateSigningRequest, TamperedSignatureDoesNotVerify) {
  const CertificateSigningRequest csr = CertificateSigningRequest::create(
      PrivateKey::generate(KeyAlgorithm::Rsa2048), nf_template(fixed_now()));
  // The last DER byte lies in the RSA signature value.
  const auto tampered =
      CertificateSigningRequest::from_pem(test_support::corrupt_pem(csr.to_pem(), -1));
  EXPECT_FALSE(tampered.verify_self_signature());
}

TEST(CertificateSigningRequest, FromPemRejectsGarbage) {
  EXPECT_THROW(CertificateSigningRequest::from_pem(""), CryptoError);
  EXPECT_THROW(CertificateSigningRequest::from_pem("-----BEGIN CERTIFICATE REQUEST-----\n"
                                                   "bm9wZQ==\n-----END CERTIFICATE REQUEST-----\n"),
               CryptoError);
}

TEST(CertificateSigningRequest, RejectsMalformedTemplateValues) {
  using R = IssuanceError::Reason;
  auto request = nf_template(fixed_now());
  request.subject.country = "DEU";  // countryName is exactly two letters
  EXPECT_EQ(create_error(request), R::InvalidTemplate);

  request = nf_template(fixed_now());
  request.uris = {"no-scheme"};
  EXPECT_EQ(create_error(request), R::InvalidTemplate);

  request = nf_template(fixed_now());
  request.dns_names = {"has space.example.org"};
  EXPECT_EQ(create_error(request), R::InvalidTemplate);

  request = nf_template(fixed_now());
  request.ip_addresses = {"300.1.1.1"};
  EXPECT_EQ(create_error(request), R::InvalidTemplate);
}

}  // namespace
}  // namespace secprov::crypto
