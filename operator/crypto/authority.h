#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "crypto/certificate.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "crypto/template.h"

namespace secprov::crypto {

// A CA certificate with its private key. Issued certificates are signed with SHA-384 when the
// CA key is ECDSA P-384, SHA-512 for P-521, otherwise SHA-256 (RSA >= 2048, P-256).
class CertificateAuthority {
 public:
  // New key and self-signed root: serial random, validity [now, now + validity],
  // basicConstraints CA:TRUE (critical, optional pathLenConstraint), keyUsage keyCertSign +
  // cRLSign (critical), SKI, AKI = SKI. Throws IssuanceError / CryptoError.
  static CertificateAuthority create_self_signed(KeyAlgorithm algorithm,
                                                 const DistinguishedName& subject,
                                                 std::chrono::system_clock::duration validity,
                                                 std::chrono::system_clock::time_point now,
                                                 std::optional<int> path_length = std::nullopt);

  // Existing CA (first certificate in cert_pem). Throws InvalidCaError with the reason.
  static CertificateAuthority load(std::string_view cert_pem, std::string_view key_pem,
                                   std::chrono::system_clock::time_point now);

  // Issues a certificate for the CSR's (verified) public key. Everything else comes from the
  // template; the CSR's requested subject and SAN are ignored. End entity (TS 33.310 6.1.3c):
  // random positive 16-byte serial, validity from the template (<= kMaxIssuedValidity and
  // within the CA's), basicConstraints CA:FALSE (critical), keyUsage digitalSignature
  // (critical), extendedKeyUsage per server_auth/client_auth, SKI, AKI keyid, subjectAltName
  // (critical only with an empty subject, see template.h), optional cRLDistributionPoints and
  // nfTypes (non-critical). With template.is_ca a sub-CA is issued instead (CA:TRUE + pathlen,
  // keyCertSign + cRLSign, no extendedKeyUsage). Throws IssuanceError with the reason, CryptoError
  // otherwise.
  Certificate sign(const CertificateSigningRequest& csr, const CertificateTemplate& request,
                   std::chrono::system_clock::time_point now) const;
  // As sign(), for a key this process holds: no CSR is made, signed and verified, since its
  // proof of possession proves nothing here (with OpenSSL 3, the CSR's encode/decode round
  // trips and its signature were about half the CPU of an issuance).
  Certificate issue(const PrivateKey& subject_key, const CertificateTemplate& request,
                    std::chrono::system_clock::time_point now) const;

  const Certificate& certificate() const noexcept { return certificate_; }
  // certificate().to_pem(), encoded once: every issuance and trust bundle appends it.
  const std::string& certificate_pem() const noexcept { return certificate_pem_; }
  const PrivateKey& key() const noexcept { return key_; }

 private:
  // Throws IssuanceError when the CA cannot issue `request` now (validity, SAN, EKU).
  void check_issuable(const CertificateTemplate& request,
                      std::chrono::system_clock::time_point now) const;
  CertificateAuthority(Certificate certificate, PrivateKey key)
      : certificate_(std::move(certificate)),
        certificate_pem_(certificate_.to_pem()),
        key_(std::move(key)) {}
  Certificate certificate_;
  std::string certificate_pem_;
  PrivateKey key_;
};

}  // namespace secprov::crypto
