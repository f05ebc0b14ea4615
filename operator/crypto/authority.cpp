#include "crypto/authority.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>

#include "crypto/detail/ossl.h"
#include "crypto/detail/x509_build.h"
#include "crypto/errors.h"

namespace secprov::crypto {
namespace {

using detail::Access;
using CaReason = InvalidCaError::Reason;
using IssueReason = IssuanceError::Reason;

}  // namespace

CertificateAuthority CertificateAuthority::create_self_signed(
    KeyAlgorithm algorithm, const DistinguishedName& subject,
    std::chrono::system_clock::duration validity, std::chrono::system_clock::time_point now,
    std::optional<int> path_length) {
  if (validity < std::chrono::seconds{1}) {
    throw IssuanceError(IssueReason::InvalidValidity, "CA validity must be at least 1 s");
  }
  if (subject == DistinguishedName{}) {
    throw IssuanceError(IssueReason::InvalidTemplate, "CA subject must not be empty");
  }
  CertificateTemplate request;
  request.subject = subject;
  request.not_before = now;
  request.not_after = now + validity;
  request.is_ca = true;
  request.path_length = path_length;

  PrivateKey key = PrivateKey::generate(algorithm);
  detail::X509Ptr cert = detail::build_certificate(request, Access::pkey(key), nullptr);
  return CertificateAuthority(Access::wrap(std::move(cert)), std::move(key));
}

CertificateAuthority CertificateAuthority::load(std::string_view cert_pem, std::string_view key_pem,
                                                std::chrono::system_clock::time_point now) {
  std::optional<Certificate> cert;
  try {
    cert = Certificate::from_pem(cert_pem);
  } catch (const CryptoError& e) {
    throw InvalidCaError(CaReason::NotACertificate, "cannot parse the CA certificate",
                         e.openssl_errors());
  }
  std::optional<PrivateKey> key;
  try {
    key = PrivateKey::from_pem(key_pem);
  } catch (const CryptoError& e) {
    throw InvalidCaError(CaReason::InvalidKey, "cannot parse the CA private key",
                         e.openssl_errors());
  }
  if (detail::signature_digest_for(Access::pkey(*key)) == nullptr) {
    throw InvalidCaError(CaReason::UnsupportedKey,
                         "the CA key is neither RSA >= 2048 nor ECDSA P-256/P-384/P-521");
  }
  if (!cert->is_ca()) {
    throw InvalidCaError(CaReason::NotACa, "basicConstraints CA:TRUE is missing");
  }
  if (const auto usage = cert->key_usage(); usage && !usage->key_cert_sign) {
    throw InvalidCaError(CaReason::NotACa, "keyUsage lacks keyCertSign");
  }
  if (EVP_PKEY_eq(Access::public_key(*cert), Access::pkey(*key)) != 1) {
    ERR_clear_error();
    throw InvalidCaError(CaReason::KeyMismatch,
                         "the private key does not match the certificate's public key");
  }
  if (now < cert->not_before()) {
    throw InvalidCaError(CaReason::NotYetValid, "the CA certificate is not valid yet");
  }
  if (now > cert->not_after()) {
    throw InvalidCaError(CaReason::Expired, "the CA certificate has expired");
  }
  return CertificateAuthority(std::move(*cert), std::move(*key));
}

void CertificateAuthority::check_issuable(const CertificateTemplate& request,
                                          std::chrono::system_clock::time_point now) const {
  if (now < certificate_.not_before() || now > certificate_.not_after()) {
    throw IssuanceError(IssueReason::CaNotValid, "the CA certificate is not valid now");
  }
  // Compare what will be encoded: X.509 times have whole seconds.
  const auto not_before = std::chrono::floor<std::chrono::seconds>(request.not_before);
  const auto not_after = std::chrono::floor<std::chrono::seconds>(request.not_after);
  if (not_after <= not_before) {
    throw IssuanceError(IssueReason::InvalidValidity, "notAfter must be later than notBefore");
  }
  if (not_after - not_before > kMaxIssuedValidity) {
    throw IssuanceError(IssueReason::ValidityTooLong, "validity longer than 3 years");
  }
  if (not_after > certificate_.not_after()) {
    throw IssuanceError(IssueReason::ExceedsCaValidity, "notAfter is after the CA's notAfter");
  }
  if (request.is_ca) {
    const auto constraints = certificate_.basic_constraints();
    const auto ca_path_length = constraints ? constraints->path_length : std::nullopt;
    if (ca_path_length && (*ca_path_length == 0 ||
                           (request.path_length && *request.path_length >= *ca_path_length))) {
      throw IssuanceError(IssueReason::PathLengthExceeded, "the CA's pathLenConstraint");
    }
  } else {
    if (request.dns_names.empty() && request.uris.empty() && request.ip_addresses.empty()) {
      throw IssuanceError(IssueReason::MissingSubjectAltName, "no DNS name, URI or IP address");
    }
    if (!request.server_auth && !request.client_auth && !request.oauth_access_token_signing) {
      throw IssuanceError(IssueReason::MissingExtendedKeyUsage,
                          "neither serverAuth, clientAuth nor oauthAccessTokenSigning");
    }
  }
}

Certificate CertificateAuthority::sign(const CertificateSigningRequest& csr,
                                       const CertificateTemplate& request,
                                       std::chrono::system_clock::time_point now) const {
  check_issuable(request, now);
  if (!csr.verify_self_signature()) {
    throw IssuanceError(IssueReason::CsrSignatureInvalid, "the CSR signature does not verify");
  }
  if (!csr.key_algorithm()) {
    throw IssuanceError(IssueReason::UnsupportedKey, "the CSR key is not one of KeyAlgorithm");
  }

  ERR_clear_error();
  EVP_PKEY* subject_key = X509_REQ_get0_pubkey(Access::req(csr));
  const detail::Issuer issuer{Access::x509(certificate_), Access::pkey(key_)};
  return Access::wrap(detail::build_certificate(request, subject_key, &issuer), subject_key);
}

Certificate CertificateAuthority::issue(const PrivateKey& subject_key,
                                        const CertificateTemplate& request,
                                        std::chrono::system_clock::time_point now) const {
  check_issuable(request, now);
  ERR_clear_error();
  const detail::Issuer issuer{Access::x509(certificate_), Access::pkey(key_)};
  return Access::wrap(detail::build_certificate(request, Access::pkey(subject_key), &issuer),
                      Access::pkey(subject_key));
}

}  // namespace secprov::crypto
