#include "crypto/certificate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "crypto/authority.h"
#include "crypto/encoding.h"
#include "crypto/errors.h"
#include "test_support.h"

namespace secprov::crypto {
namespace {

using test_support::fixed_now;
using test_support::make_ca;
using test_support::nf_template;
using ::testing::ElementsAre;

struct Issued {
  CertificateAuthority ca;
  PrivateKey key;
  Certificate leaf;
};

Issued issue(std::chrono::system_clock::time_point now = fixed_now()) {
  CertificateAuthority ca = make_ca(KeyAlgorithm::EcdsaP256, "secprov test CA", now);
  PrivateKey key = PrivateKey::generate(KeyAlgorithm::EcdsaP256);
  Certificate leaf =
      ca.sign(CertificateSigningRequest::create(key, nf_template(now)), nf_template(now), now);
  return {std::move(ca), std::move(key), std::move(leaf)};
}

TEST(Certificate, PemRoundTrip) {
  const Issued issued = issue();
  const std::string pem = issued.leaf.to_pem();
  EXPECT_EQ(pem.rfind("-----BEGIN CERTIFICATE-----\n", 0), 0u);
  const Certificate parsed = Certificate::from_pem(pem);
  EXPECT_EQ(parsed, issued.leaf);
  EXPECT_EQ(parsed.to_pem(), pem);
  EXPECT_EQ(parsed.serial_hex(), issued.leaf.serial_hex());
  EXPECT_EQ(parsed.sha256_fingerprint(), issued.leaf.sha256_fingerprint());
  EXPECT_EQ(parsed.not_after(), issued.leaf.not_after());
  EXPECT_THAT(parsed.uris(), ElementsAre("urn:uuid:0b7f8a4e-3c1d-4a57-9a2e-5f0d6c1b2a39"));
}

TEST(Certificate, DerRoundTrip) {
  const Issued issued = issue();
  const std::string der = issued.leaf.to_der();
  EXPECT_EQ(static_cast<unsigned char>(der.front()), 0x30u);  // a SEQUENCE
  const Certificate parsed = Certificate::from_der(der);
  EXPECT_EQ(parsed, issued.leaf);
  EXPECT_EQ(parsed.sha256_fingerprint(), issued.leaf.sha256_fingerprint());
  EXPECT_TRUE(parsed.issued_by(issued.ca.certificate()));
  // The fingerprint is the SHA-256 of exactly these bytes (X509_digest and EVP_Digest share
  // one fetched digest).
  EXPECT_EQ(issued.leaf.sha256_fingerprint(), sha256_hex(der));
  EXPECT_EQ(issued.leaf.sha256_fingerprint().size(), 64u);
}

TEST(Certificate, FromDerRefusesAnythingButOneCertificate) {
  const std::string der = issue().leaf.to_der();
  EXPECT_THROW(Certificate::from_der(""), CryptoError);
  EXPECT_THROW(Certificate::from_der(der.substr(0, der.size() - 1)), CryptoError);
  EXPECT_THROW(Certificate::from_der(der + der), CryptoError);  // trailing bytes
  EXPECT_THROW(Certificate::from_der(issue().leaf.to_pem()), CryptoError);
}

TEST(Certificate, DerBlocksAreTheCertificatesOfAPemTextUnparsed) {
  const Issued issued = issue();
  const auto blocks =
      certificate_der_blocks(issued.leaf.to_pem() + "-----BEGIN X509 CRL-----\nAAAA\n" +
                             "-----END X509 CRL-----\n" + issued.ca.certificate().to_pem());
  ASSERT_EQ(blocks.size(), 2u);  // the CRL block is skipped
  EXPECT_EQ(blocks[0], issued.leaf.to_der());
  EXPECT_EQ(blocks[1], issued.ca.certificate().to_der());
  EXPECT_EQ(sha256_hex(blocks[0]), issued.leaf.sha256_fingerprint());
  EXPECT_TRUE(certificate_der_blocks("").empty());
  EXPECT_TRUE(certificate_der_blocks("not PEM").empty());
  EXPECT_TRUE(certificate_der_blocks("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n")
                  .empty());
}

TEST(Certificate, FingerprintIsLowercaseHexSha256OfDer) {
  const Issued issued = issue();
  const std::string fingerprint = issued.leaf.sha256_fingerprint();
  EXPECT_EQ(fingerprint.size(), 64u);
  EXPECT_EQ(fingerprint.find_first_not_of("0123456789abcdef"), std::string::npos);

  // Cross-check against sha256_hex over the DER taken from the PEM body.
  const std::string pem = issued.leaf.to_pem();
  std::string body;
  for (char c : pem.substr(pem.find('\n') + 1, pem.rfind("-----END") - pem.find('\n') - 1)) {
    if (c != '\n') body += c;
  }
  EXPECT_EQ(sha256_hex(base64_decode(body).value()), fingerprint);
}

TEST(Certificate, ParseChainKeepsOrder) {
  const Issued issued = issue();
  const std::string bundle = issued.leaf.to_pem() + issued.ca.certificate().to_pem();
  const std::vector<Certificate> chain = Certificate::parse_chain(bundle);
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[0], issued.leaf);
  EXPECT_EQ(chain[1], issued.ca.certificate());
  EXPECT_EQ(Certificate::from_pem(bundle), issued.leaf);  // first one

  // A private key block in the bundle is skipped, not returned as a certificate.
  const auto with_key = Certificate::parse_chain(issued.key.to_pkcs8_pem() + issued.leaf.to_pem());
  ASSERT_EQ(with_key.size(), 1u);
  EXPECT_EQ(with_key[0], issued.leaf);
}

TEST(Certificate, ParseRejectsGarbage) {
  EXPECT_THROW(Certificate::from_pem(""), CryptoError);
  EXPECT_THROW(Certificate::from_pem("hello"), CryptoError);
  EXPECT_THROW(Certificate::parse_chain(""), CryptoError);
  EXPECT_THROW(Certificate::from_pem("-----BEGIN CERTIFICATE-----\nbm9wZQ==\n"
                                     "-----END CERTIFICATE-----\n"),
               CryptoError);
  const Issued issued = issue();
  const std::string leaf_pem = issued.leaf.to_pem();
  // A valid certificate followed by a broken one: the whole chain is rejected.
  EXPECT_THROW(Certificate::parse_chain(leaf_pem + leaf_pem.substr(0, leaf_pem.size() - 60) +
                                        "-----END CERTIFICATE-----\n"),
               CryptoError);
}

TEST(Certificate, CopiesShareTheCertificate) {
  std::optional<Issued> issued = issue();
  const Certificate copy = issued->leaf;
  const std::string fingerprint = issued->leaf.sha256_fingerprint();
  std::vector<Certificate> many(3, copy);
  issued.reset();
  EXPECT_EQ(copy.sha256_fingerprint(), fingerprint);
  EXPECT_EQ(many.back().sha256_fingerprint(), fingerprint);
}

TEST(Certificate, PublicKeyDigestMatchesKeyNotOthers) {
  const Issued issued = issue();
  EXPECT_EQ(issued.leaf.public_key_sha256(), issued.key.public_key_sha256());
  EXPECT_EQ(issued.ca.certificate().public_key_sha256(), issued.ca.key().public_key_sha256());
  EXPECT_NE(issued.leaf.public_key_sha256(), issued.ca.key().public_key_sha256());
}

TEST(Certificate, TimesAfter2049UseGeneralizedTimeAndRoundTrip) {
  using namespace std::chrono;
  const auto now = sys_days{year{2049} / 6 / 1} + 8h + 30min + 15s;
  const Issued issued = issue(now);
  EXPECT_EQ(issued.leaf.not_before(), now);
  EXPECT_EQ(issued.leaf.not_after(), now + days{365});
  EXPECT_EQ(issued.ca.certificate().not_after(), now + years{10});
  EXPECT_EQ(verify_chain(issued.leaf, {}, {issued.ca.certificate()}, now + days{300}),
            std::nullopt);
}

TEST(Certificate, SubSecondTimesAreTruncated) {
  using namespace std::chrono;
  const auto now = fixed_now() + 750ms;
  const Issued issued = issue(now);
  EXPECT_EQ(issued.leaf.not_before(), fixed_now());
}

// Before 1970 a time rounds down to the second it falls in (floor), not toward the epoch:
// both where a certificate's times are written and where a chain is checked at a time.
TEST(Certificate, TimesBefore1970RoundDownToTheirSecond) {
  using namespace std::chrono;
  const system_clock::time_point epoch{};
  const auto ca = make_ca(KeyAlgorithm::EcdsaP256, "secprov test CA", epoch - 3s);
  const auto now = epoch - 1500ms;
  const auto leaf = ca.issue(PrivateKey::generate(KeyAlgorithm::EcdsaP256), nf_template(now), now);
  EXPECT_EQ(leaf.not_before(), epoch - 2s);
  EXPECT_EQ(verify_chain(leaf, {}, {ca.certificate()}, now), std::nullopt);
  // Inside the second before notBefore: truncated, it would be notBefore itself.
  EXPECT_EQ(verify_chain(leaf, {}, {ca.certificate()}, epoch - 2500ms),
            "certificate is not yet valid");
}

}  // namespace
}  // namespace secprov::crypto
