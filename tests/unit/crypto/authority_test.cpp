#include "crypto/authority.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <chrono>
#include <functional>
#include <string>

#include "crypto/errors.h"
#include "test_support.h"

namespace secprov::crypto {
namespace {

using test_support::ca_subject;
using test_support::fixed_now;
using test_support::make_ca;
using test_support::nf_template;
using ::testing::ElementsAre;
using ::testing::Optional;
using namespace std::chrono_literals;

CertificateSigningRequest make_csr(const PrivateKey& key,
                                   const CertificateTemplate& request = nf_template(fixed_now())) {
  return CertificateSigningRequest::create(key, request);
}

template <typename Error>
typename Error::Reason reason_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.reason();
  }
  ADD_FAILURE() << "expected a typed error";
  return {};
}

// ---- self-signed CA ----

TEST(CertificateAuthority, SelfSignedCaProfile) {
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca(KeyAlgorithm::EcdsaP256, "root", now);
  const Certificate& cert = ca.certificate();

  EXPECT_EQ(cert.subject(), ca_subject("root"));
  EXPECT_EQ(cert.issuer(), ca_subject("root"));
  EXPECT_TRUE(cert.issued_by(cert));
  EXPECT_EQ(cert.not_before(), now);
  EXPECT_EQ(cert.not_after(), now + std::chrono::years{10});
  EXPECT_EQ(cert.signature_algorithm(), "ecdsa-with-SHA256");
  EXPECT_EQ(cert.public_key_sha256(), ca.key().public_key_sha256());
  EXPECT_EQ(cert.key_algorithm(), KeyAlgorithm::EcdsaP256);

  ASSERT_TRUE(cert.basic_constraints().has_value());
  EXPECT_TRUE(cert.basic_constraints()->critical);
  EXPECT_TRUE(cert.basic_constraints()->ca);
  EXPECT_EQ(cert.basic_constraints()->path_length, std::nullopt);
  EXPECT_TRUE(cert.is_ca());

  ASSERT_TRUE(cert.key_usage().has_value());
  EXPECT_TRUE(cert.key_usage()->critical);
  EXPECT_TRUE(cert.key_usage()->key_cert_sign);
  EXPECT_TRUE(cert.key_usage()->crl_sign);
  EXPECT_FALSE(cert.key_usage()->digital_signature);
  EXPECT_EQ(cert.extended_key_usage(), std::nullopt);

  ASSERT_TRUE(cert.subject_key_id().has_value());
  EXPECT_EQ(cert.subject_key_id()->size(), 40u);  // SHA-1
  EXPECT_EQ(cert.authority_key_id(), cert.subject_key_id());
  EXPECT_TRUE(cert.dns_names().empty());

  EXPECT_EQ(verify_chain(cert, {}, {cert}, now + 1h), std::nullopt);
}

TEST(CertificateAuthority, SelfSignedWithPathLength) {
  const CertificateAuthority ca = CertificateAuthority::create_self_signed(
      KeyAlgorithm::EcdsaP256, ca_subject(), std::chrono::days{30}, fixed_now(), 0);
  ASSERT_TRUE(ca.certificate().basic_constraints().has_value());
  EXPECT_EQ(ca.certificate().basic_constraints()->path_length, 0);
}

TEST(CertificateAuthority, SelfSignedRejectsEmptySubjectAndValidity) {
  using R = IssuanceError::Reason;
  EXPECT_EQ(reason_of<IssuanceError>([] {
              (void)CertificateAuthority::create_self_signed(KeyAlgorithm::EcdsaP256, {},
                                                             std::chrono::days{1}, fixed_now());
            }),
            R::InvalidTemplate);
  EXPECT_EQ(reason_of<IssuanceError>([] {
              (void)CertificateAuthority::create_self_signed(KeyAlgorithm::EcdsaP256, ca_subject(),
                                                             0s, fixed_now());
            }),
            R::InvalidValidity);
}

// ---- issuing NF certificates (TS 33.310 6.1.3c) ----

TEST(CertificateAuthority, SanIsCriticalOnlyWithAnEmptySubject) {
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca();
  const PrivateKey key = PrivateKey::generate(KeyAlgorithm::EcdsaP256);
  CertificateTemplate request = nf_template(now);
  ASSERT_NE(request.subject, DistinguishedName{});
  const Certificate with_subject = ca.sign(make_csr(key), request, now);
  EXPECT_EQ(with_subject.extension_critical(kSubjectAltNameOid), false);

  request.subject = {};
  const Certificate without_subject = ca.sign(make_csr(key), request, now);
  EXPECT_EQ(without_subject.subject(), DistinguishedName{});
  EXPECT_EQ(without_subject.extension_critical(kSubjectAltNameOid), true);
  EXPECT_FALSE(without_subject.uris().empty());
}

TEST(CertificateAuthority, SignsNfLeafWithTheProfileExtensions) {
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca();
  const PrivateKey key = PrivateKey::generate(KeyAlgorithm::EcdsaP256);
  const CertificateTemplate request = nf_template(now);
  const Certificate leaf = ca.sign(make_csr(key), request, now);

  EXPECT_EQ(leaf.subject(), (DistinguishedName{"DE", "5gc.mnc001.mcc001.3gppnetwork.org", "", ""}));
  EXPECT_EQ(leaf.issuer(), ca.certificate().subject());
  EXPECT_EQ(leaf.not_before(), now);
  EXPECT_EQ(leaf.not_after(), now + std::chrono::days{365});
  EXPECT_EQ(leaf.signature_algorithm(), "ecdsa-with-SHA256");

  // serial: 16 bytes, positive
  const std::string serial = leaf.serial_hex();
  EXPECT_EQ(serial.size(), 32u);
  EXPECT_TRUE(serial[0] >= '4' && serial[0] <= '7') << serial;

  // subjectAltName: non-critical beside a non-empty subject (RFC 5280 4.2.1.6), the NF
  // instance URI, FQDNs and IP addresses
  EXPECT_FALSE(leaf.san_critical());
  EXPECT_EQ(leaf.extension_critical(kSubjectAltNameOid), false);
  EXPECT_THAT(leaf.uris(), ElementsAre("urn:uuid:0b7f8a4e-3c1d-4a57-9a2e-5f0d6c1b2a39"));
  EXPECT_THAT(leaf.dns_names(), ElementsAre("amf1.5gc.mnc001.mcc001.3gppnetwork.org",
                                            "amf.free5gc.svc.cluster.local"));
  EXPECT_THAT(leaf.ip_addresses(), ElementsAre("10.100.200.16", "2001:db8::10"));

  // basicConstraints CA:FALSE
  ASSERT_TRUE(leaf.basic_constraints().has_value());
  EXPECT_FALSE(leaf.basic_constraints()->ca);
  EXPECT_TRUE(leaf.basic_constraints()->critical);
  EXPECT_FALSE(leaf.is_ca());

  // keyUsage digitalSignature, critical, nothing else
  ASSERT_TRUE(leaf.key_usage().has_value());
  EXPECT_TRUE(leaf.key_usage()->critical);
  EXPECT_TRUE(leaf.key_usage()->digital_signature);
  EXPECT_FALSE(leaf.key_usage()->key_cert_sign);
  EXPECT_FALSE(leaf.key_usage()->crl_sign);
  EXPECT_FALSE(leaf.key_usage()->key_encipherment);

  // extendedKeyUsage serverAuth + clientAuth, not critical
  ASSERT_TRUE(leaf.extended_key_usage().has_value());
  EXPECT_FALSE(leaf.extended_key_usage()->critical);
  EXPECT_TRUE(leaf.extended_key_usage()->server_auth);
  EXPECT_TRUE(leaf.extended_key_usage()->client_auth);

  // SKI / AKI (keyid = CA SKI)
  ASSERT_TRUE(leaf.subject_key_id().has_value());
  EXPECT_NE(leaf.subject_key_id(), ca.certificate().subject_key_id());
  EXPECT_EQ(leaf.authority_key_id(), ca.certificate().subject_key_id());

  // cRLDistributionPoints and RFC 9310 nfTypes (non-critical)
  EXPECT_THAT(leaf.crl_distribution_points(), ElementsAre("http://ca.secprov.svc/crl/ca.crl"));
  EXPECT_THAT(leaf.nf_types(), ElementsAre("AMF"));
  EXPECT_EQ(leaf.extension_critical(kNfTypesOid), false);

  // key and issuer
  EXPECT_EQ(leaf.public_key_sha256(), key.public_key_sha256());
  EXPECT_NE(leaf.public_key_sha256(), ca.key().public_key_sha256());
  EXPECT_EQ(leaf.key_algorithm(), KeyAlgorithm::EcdsaP256);
  EXPECT_TRUE(leaf.issued_by(ca.certificate()));
  EXPECT_FALSE(ca.certificate().issued_by(leaf));
}

TEST(CertificateAuthority, IssueForAKeyItHoldsEqualsSigningItsCsr) {
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca();
  const PrivateKey key = PrivateKey::generate(KeyAlgorithm::EcdsaP256);
  const CertificateTemplate request = nf_template(now);
  const Certificate issued = ca.issue(key, request, now);
  const Certificate signed_csr = ca.sign(make_csr(key), request, now);
  EXPECT_EQ(issued.public_key_sha256(), key.public_key_sha256());
  EXPECT_TRUE(issued.issued_by(ca.certificate()));
  // The same certificate but for its serial and signature.
  EXPECT_EQ(issued.subject(), signed_csr.subject());
  EXPECT_EQ(issued.issuer(), signed_csr.issuer());
  EXPECT_EQ(issued.not_before(), signed_csr.not_before());
  EXPECT_EQ(issued.not_after(), signed_csr.not_after());
  EXPECT_EQ(issued.dns_names(), signed_csr.dns_names());
  EXPECT_EQ(issued.uris(), signed_csr.uris());
  EXPECT_EQ(issued.ip_addresses(), signed_csr.ip_addresses());
  EXPECT_EQ(issued.nf_types(), signed_csr.nf_types());
  EXPECT_EQ(issued.crl_distribution_points(), signed_csr.crl_distribution_points());
  EXPECT_EQ(issued.extended_key_usage()->server_auth, signed_csr.extended_key_usage()->server_auth);
  EXPECT_EQ(issued.extended_key_usage()->client_auth, signed_csr.extended_key_usage()->client_auth);
  EXPECT_EQ(issued.subject_key_id(), signed_csr.subject_key_id());
  EXPECT_EQ(issued.authority_key_id(), signed_csr.authority_key_id());
  EXPECT_FALSE(issued.is_ca());
}

// OpenSSL's own encoding of the key's SubjectPublicKeyInfo, and whether the certificate's key,
// read back from its DER, is the same key.
struct ReadBack {
  std::string spki_der;
  bool same_key = false;
};

ReadBack read_back(const PrivateKey& key, const Certificate& cert) {
  ReadBack out;
  const std::string pem = key.to_pkcs8_pem();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (pkey == nullptr) return out;
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(pkey, &der);
  if (length > 0) out.spki_der.assign(reinterpret_cast<const char*>(der), length);
  OPENSSL_free(der);
  const std::string cert_der = cert.to_der();
  const auto* p = reinterpret_cast<const unsigned char*>(cert_der.data());
  X509* x509 = d2i_X509(nullptr, &p, static_cast<long>(cert_der.size()));
  out.same_key = x509 != nullptr && EVP_PKEY_eq(X509_get0_pubkey(x509), pkey) == 1;
  X509_free(x509);
  EVP_PKEY_free(pkey);
  return out;
}

TEST(CertificateAuthority, AnEcLeafCarriesTheKeyAsOpenSslEncodesIt) {
  // Leaves for EC keys get their SubjectPublicKeyInfo from the key's encoded point, not from
  // X509_set_pubkey (x509_build.cpp): the bytes must be OpenSSL's, and the certificate must
  // answer for its key before and after a round trip.
  const auto now = fixed_now();
  for (const auto algorithm : {KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384}) {
    const CertificateAuthority ca = make_ca();
    const PrivateKey key = PrivateKey::generate(algorithm);
    const Certificate issued = ca.issue(key, nf_template(now), now);
    const ReadBack back = read_back(key, issued);
    ASSERT_FALSE(back.spki_der.empty());
    EXPECT_NE(issued.to_der().find(back.spki_der), std::string::npos);
    EXPECT_TRUE(back.same_key);
    const Certificate parsed = Certificate::from_der(issued.to_der());
    for (const Certificate* cert : {&issued, &parsed}) {
      EXPECT_EQ(cert->public_key_sha256(), key.public_key_sha256());
      EXPECT_EQ(cert->key_algorithm(), algorithm);
      EXPECT_TRUE(cert->issued_by(ca.certificate()));
      EXPECT_EQ(verify_chain(*cert, {}, {ca.certificate()}, now), std::nullopt);
    }
    EXPECT_EQ(issued.subject_key_id(), parsed.subject_key_id());
  }
}

TEST(CertificateAuthority, IssueAppliesTheSamePolicyAsSign) {
  using R = IssuanceError::Reason;
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca();
  const PrivateKey key = PrivateKey::generate(KeyAlgorithm::EcdsaP256);
  CertificateTemplate request = nf_template(now);
  request.not_after = request.not_before;
  EXPECT_EQ(reason_of<IssuanceError>([&] { (void)ca.issue(key, request, now); }),
            R::InvalidValidity);
  request = nf_template(now);
  request.dns_names.clear();
  request.uris.clear();
  request.ip_addresses.clear();
  EXPECT_EQ(reason_of<IssuanceError>([&] { (void)ca.issue(key, request, now); }),
            R::MissingSubjectAltName);
  EXPECT_EQ(reason_of<IssuanceError>([&] { (void)ca.issue(key, nf_template(now), now - 1h); }),
            R::CaNotValid);
}

TEST(CertificateAuthority, TakesNamesFromTheTemplateNotTheCsr) {
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca();
  CertificateTemplate asked = nf_template(now);
  asked.dns_names = {"evil.example.org"};
  asked.subject.organization = "evil";
  const auto csr = make_csr(PrivateKey::generate(KeyAlgorithm::EcdsaP256), asked);

  const Certificate leaf = ca.sign(csr, nf_template(now), now);
  EXPECT_EQ(leaf.subject().organization, "5gc.mnc001.mcc001.3gppnetwork.org");
  EXPECT_THAT(leaf.dns_names(), ::testing::Not(::testing::Contains("evil.example.org")));
}

TEST(CertificateAuthority, ExtendedKeyUsageFollowsFlagsAndOptionalExtensionsAreOmitted) {
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca();
  CertificateTemplate request = nf_template(now);
  request.client_auth = false;
  request.crl_distribution_point.reset();
  request.nf_types.clear();
  request.ip_addresses.clear();
  const Certificate leaf =
      ca.sign(make_csr(PrivateKey::generate(KeyAlgorithm::EcdsaP256)), request, now);
  ASSERT_TRUE(leaf.extended_key_usage().has_value());
  EXPECT_TRUE(leaf.extended_key_usage()->server_auth);
  EXPECT_FALSE(leaf.extended_key_usage()->client_auth);
  EXPECT_TRUE(leaf.crl_distribution_points().empty());
  EXPECT_TRUE(leaf.nf_types().empty());
  EXPECT_EQ(leaf.extension_critical(kNfTypesOid), std::nullopt);
  EXPECT_TRUE(leaf.ip_addresses().empty());
}

// RFC 9509 3: the NRF's token-signing certificate carries id-kp-oauthAccessTokenSigning
// alone, with keyUsage digitalSignature only.
TEST(CertificateAuthority, IssuesAnAccessTokenSigningCertificate) {
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca();
  CertificateTemplate request = nf_template(now);
  request.server_auth = request.client_auth = false;
  request.oauth_access_token_signing = true;
  const Certificate leaf =
      ca.sign(make_csr(PrivateKey::generate(KeyAlgorithm::EcdsaP256)), request, now);
  ASSERT_TRUE(leaf.extended_key_usage().has_value());
  EXPECT_TRUE(leaf.extended_key_usage()->oauth_access_token_signing);
  EXPECT_FALSE(leaf.extended_key_usage()->server_auth);
  EXPECT_FALSE(leaf.extended_key_usage()->client_auth);
  ASSERT_TRUE(leaf.key_usage().has_value());
  EXPECT_TRUE(leaf.key_usage()->digital_signature);
  EXPECT_FALSE(leaf.key_usage()->key_encipherment);
  EXPECT_FALSE(leaf.key_usage()->key_cert_sign);
  // An NF's TLS certificate does not carry it.
  const Certificate tls =
      ca.sign(make_csr(PrivateKey::generate(KeyAlgorithm::EcdsaP256)), nf_template(now), now);
  EXPECT_FALSE(tls.extended_key_usage()->oauth_access_token_signing);
}

TEST(CertificateAuthority, SerialsDifferBetweenIssuances) {
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca();
  const auto csr = make_csr(PrivateKey::generate(KeyAlgorithm::EcdsaP256));
  const Certificate a = ca.sign(csr, nf_template(now), now);
  const Certificate b = ca.sign(csr, nf_template(now), now);
  EXPECT_NE(a.serial_hex(), b.serial_hex());
  EXPECT_NE(a.sha256_fingerprint(), b.sha256_fingerprint());
  EXPECT_EQ(a.public_key_sha256(), b.public_key_sha256());
  EXPECT_FALSE(a == b);
}

TEST(CertificateAuthority, P384CaSignsWithSha384) {
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca(KeyAlgorithm::EcdsaP384);
  EXPECT_EQ(ca.certificate().signature_algorithm(), "ecdsa-with-SHA384");
  const Certificate leaf =
      ca.sign(make_csr(PrivateKey::generate(KeyAlgorithm::EcdsaP256)), nf_template(now), now);
  EXPECT_EQ(leaf.signature_algorithm(), "ecdsa-with-SHA384");
  EXPECT_EQ(verify_chain(leaf, {}, {ca.certificate()}, now), std::nullopt);
}

TEST(CertificateAuthority, RsaCaSignsWithSha256AndIssuesForRsaKeys) {
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca(KeyAlgorithm::Rsa2048);
  EXPECT_EQ(ca.certificate().signature_algorithm(), "sha256WithRSAEncryption");
  const PrivateKey key = PrivateKey::generate(KeyAlgorithm::Rsa2048);
  const Certificate leaf = ca.sign(make_csr(key), nf_template(now), now);
  EXPECT_EQ(leaf.signature_algorithm(), "sha256WithRSAEncryption");
  EXPECT_EQ(leaf.key_algorithm(), KeyAlgorithm::Rsa2048);
  EXPECT_EQ(leaf.public_key_sha256(), key.public_key_sha256());
  EXPECT_EQ(verify_chain(leaf, {}, {ca.certificate()}, now), std::nullopt);
}

// ---- policy errors ----

TEST(CertificateAuthority, RejectsValidityLongerThanThreeYears) {
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca();
  const auto csr = make_csr(PrivateKey::generate(KeyAlgorithm::EcdsaP256));
  CertificateTemplate request = nf_template(now);

  request.not_after = now + std::chrono::days{3 * 365};  // the limit is 3 Gregorian years
  EXPECT_EQ(ca.sign(csr, request, now).not_after(), request.not_after);

  request.not_after = now + std::chrono::days{3 * 365 + 1};
  EXPECT_EQ(reason_of<IssuanceError>([&] { (void)ca.sign(csr, request, now); }),
            IssuanceError::Reason::ValidityTooLong);
}

TEST(CertificateAuthority, RejectsPolicyViolationsWithTypedReasons) {
  using R = IssuanceError::Reason;
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca();
  const auto csr = make_csr(PrivateKey::generate(KeyAlgorithm::EcdsaP256));
  const auto sign_error = [&](const CertificateTemplate& request,
                              std::chrono::system_clock::time_point at = fixed_now()) {
    return reason_of<IssuanceError>([&] { (void)ca.sign(csr, request, at); });
  };

  CertificateTemplate request = nf_template(now);
  request.not_after = request.not_before;
  EXPECT_EQ(sign_error(request), R::InvalidValidity);

  request = nf_template(now);
  request.not_before = ca.certificate().not_after() - std::chrono::days{10};
  request.not_after = ca.certificate().not_after() + std::chrono::days{10};
  EXPECT_EQ(sign_error(request), R::ExceedsCaValidity);

  EXPECT_EQ(sign_error(nf_template(now), now - 1h), R::CaNotValid);
  EXPECT_EQ(sign_error(nf_template(now), now + std::chrono::years{11}), R::CaNotValid);

  request = nf_template(now);
  request.dns_names.clear();
  request.uris.clear();
  request.ip_addresses.clear();
  EXPECT_EQ(sign_error(request), R::MissingSubjectAltName);

  request = nf_template(now);
  request.server_auth = request.client_auth = false;
  EXPECT_EQ(sign_error(request), R::MissingExtendedKeyUsage);

  request = nf_template(now);
  request.nf_types = {"THIS-NF-TYPE-NAME-IS-LONGER-THAN-32"};
  EXPECT_EQ(sign_error(request), R::InvalidTemplate);

  request = nf_template(now);
  request.crl_distribution_point = "not a uri";
  EXPECT_EQ(sign_error(request), R::InvalidTemplate);

  request = nf_template(now);
  request.dns_names = {"a.example.org,DNS:b.example.org"};
  EXPECT_EQ(sign_error(request), R::InvalidTemplate);

  request = nf_template(now);
  request.path_length = 1;  // only with is_ca
  EXPECT_EQ(sign_error(request), R::InvalidTemplate);
}

TEST(CertificateAuthority, RejectsTamperedCsr) {
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca();
  const auto csr = make_csr(PrivateKey::generate(KeyAlgorithm::Rsa2048));
  const auto tampered =
      CertificateSigningRequest::from_pem(test_support::corrupt_pem(csr.to_pem(), -1));
  EXPECT_EQ(reason_of<IssuanceError>([&] { (void)ca.sign(tampered, nf_template(now), now); }),
            IssuanceError::Reason::CsrSignatureInvalid);
}

// ---- chains ----

TEST(VerifyChain, AcceptsOwnCaAndRejectsOthers) {
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca(KeyAlgorithm::EcdsaP256, "trusted");
  const CertificateAuthority other = make_ca(KeyAlgorithm::EcdsaP256, "other");
  const Certificate leaf =
      ca.sign(make_csr(PrivateKey::generate(KeyAlgorithm::EcdsaP256)), nf_template(now), now);

  EXPECT_EQ(verify_chain(leaf, {}, {ca.certificate()}, now + 1h), std::nullopt);
  EXPECT_EQ(verify_chain(leaf, {}, {other.certificate(), ca.certificate()}, now), std::nullopt);
  EXPECT_THAT(verify_chain(leaf, {}, {other.certificate()}, now),
              Optional(std::string("unable to get local issuer certificate")));
  EXPECT_FALSE(leaf.issued_by(other.certificate()));
  EXPECT_THAT(verify_chain(leaf, {}, {ca.certificate()}, now + std::chrono::days{366}),
              Optional(std::string("certificate has expired")));
  EXPECT_THAT(verify_chain(leaf, {}, {ca.certificate()}, now - 1h),
              Optional(std::string("certificate is not yet valid")));
  EXPECT_TRUE(verify_chain(leaf, {}, {}, now).has_value());
}

TEST(VerifyChain, SameNameDifferentKeyIsRejected) {
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca(KeyAlgorithm::EcdsaP256, "same");
  const CertificateAuthority impostor = make_ca(KeyAlgorithm::EcdsaP256, "same");
  const Certificate leaf =
      ca.sign(make_csr(PrivateKey::generate(KeyAlgorithm::EcdsaP256)), nf_template(now), now);
  EXPECT_FALSE(leaf.issued_by(impostor.certificate()));
  EXPECT_TRUE(verify_chain(leaf, {}, {impostor.certificate()}, now).has_value());
}

TEST(VerifyChain, ThroughAnIntermediateCa) {
  const auto now = fixed_now();
  const CertificateAuthority root = make_ca(KeyAlgorithm::EcdsaP384, "root");
  const PrivateKey sub_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256);
  CertificateTemplate sub_request;
  sub_request.subject = ca_subject("intermediate");
  sub_request.not_before = now;
  sub_request.not_after = now + std::chrono::years{3};
  sub_request.is_ca = true;
  sub_request.path_length = 0;
  const Certificate sub_cert = root.sign(make_csr(sub_key, sub_request), sub_request, now);
  ASSERT_TRUE(sub_cert.is_ca());
  EXPECT_EQ(sub_cert.basic_constraints()->path_length, 0);
  EXPECT_TRUE(sub_cert.key_usage()->key_cert_sign);
  EXPECT_EQ(sub_cert.extended_key_usage(), std::nullopt);

  const CertificateAuthority sub =
      CertificateAuthority::load(sub_cert.to_pem(), sub_key.to_pkcs8_pem(), now);
  const Certificate leaf =
      sub.sign(make_csr(PrivateKey::generate(KeyAlgorithm::EcdsaP256)), nf_template(now), now);
  EXPECT_EQ(leaf.authority_key_id(), sub_cert.subject_key_id());

  EXPECT_EQ(verify_chain(leaf, {sub_cert}, {root.certificate()}, now), std::nullopt);
  EXPECT_TRUE(verify_chain(leaf, {}, {root.certificate()}, now).has_value());

  // pathLenConstraint 0: the intermediate may not issue further CAs.
  EXPECT_EQ(reason_of<IssuanceError>([&] {
              (void)sub.sign(make_csr(PrivateKey::generate(KeyAlgorithm::EcdsaP256), sub_request),
                             sub_request, now);
            }),
            IssuanceError::Reason::PathLengthExceeded);
}

// ---- loading existing CA material ----

TEST(CertificateAuthorityLoad, RoundTripsAndSigns) {
  const auto now = fixed_now();
  const CertificateAuthority created = make_ca(KeyAlgorithm::EcdsaP384);
  const CertificateAuthority loaded = CertificateAuthority::load(
      created.certificate().to_pem(), created.key().to_pkcs8_pem(), now + 1h);
  EXPECT_EQ(loaded.certificate(), created.certificate());
  EXPECT_EQ(loaded.key().public_key_sha256(), created.key().public_key_sha256());

  const Certificate leaf =
      loaded.sign(make_csr(PrivateKey::generate(KeyAlgorithm::EcdsaP256)), nf_template(now), now);
  EXPECT_TRUE(leaf.issued_by(created.certificate()));
  EXPECT_EQ(leaf.signature_algorithm(), "ecdsa-with-SHA384");
}

TEST(CertificateAuthorityLoad, ReportsTypedReasons) {
  using R = InvalidCaError::Reason;
  const auto now = fixed_now();
  const CertificateAuthority ca = make_ca();
  const CertificateAuthority other = make_ca(KeyAlgorithm::EcdsaP256, "other");
  const PrivateKey leaf_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256);
  const Certificate leaf = ca.sign(make_csr(leaf_key), nf_template(now), now);
  const std::string ca_pem = ca.certificate().to_pem();
  const std::string key_pem = ca.key().to_pkcs8_pem();
  const auto load_error = [](const std::string& cert, const std::string& key,
                             std::chrono::system_clock::time_point at) {
    return reason_of<InvalidCaError>([&] { (void)CertificateAuthority::load(cert, key, at); });
  };

  EXPECT_EQ(load_error("garbage", key_pem, now), R::NotACertificate);
  EXPECT_EQ(load_error(key_pem, key_pem, now), R::NotACertificate);
  EXPECT_EQ(load_error(ca_pem, "garbage", now), R::InvalidKey);
  EXPECT_EQ(load_error(ca_pem, ca_pem, now), R::InvalidKey);
  EXPECT_EQ(load_error(leaf.to_pem(), leaf_key.to_pkcs8_pem(), now), R::NotACa);
  EXPECT_EQ(load_error(ca_pem, other.key().to_pkcs8_pem(), now), R::KeyMismatch);
  EXPECT_EQ(load_error(ca_pem, key_pem, now + std::chrono::years{10} + 1s), R::Expired);
  EXPECT_EQ(load_error(ca_pem, key_pem, now - 1s), R::NotYetValid);

  try {
    (void)CertificateAuthority::load(ca_pem, other.key().to_pkcs8_pem(), now);
  } catch (const InvalidCaError& e) {
    EXPECT_NE(std::string(e.what()).find("KeyMismatch"), std::string::npos) << e.what();
    EXPECT_EQ(to_string(e.reason()), "KeyMismatch");
  }
}

}  // namespace
}  // namespace secprov::crypto
