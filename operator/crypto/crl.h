#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/authority.h"
#include "crypto/certificate.h"

namespace secprov::crypto {

// One revoked certificate as a CRL lists it. serial_hex as Certificate::serial_hex().
struct RevokedCertificate {
  std::string serial_hex;
  std::chrono::system_clock::time_point revoked_at;  // 1 s resolution (truncated)

  bool operator==(const RevokedCertificate&) const = default;
};

// What a CRL says (RFC 5280 5.1): the issuer's revoked certificates, valid from this_update
// until next_update, with a crlNumber that grows with each CRL of the issuer.
struct CrlRequest {
  std::vector<RevokedCertificate> revoked;
  std::chrono::system_clock::time_point this_update;
  std::chrono::system_clock::time_point next_update;
  std::uint64_t number = 1;
};

// An X.509 v2 CRL (immutable), kept as its DER encoding so it copies as a plain value.
class CertificateRevocationList {
 public:
  // The first CRL in the PEM text. Throws CryptoError if there is none or it is malformed.
  static CertificateRevocationList from_pem(std::string_view pem);

  std::string to_pem() const;
  const std::string& der() const noexcept { return der_; }  // what an HTTP CDP serves

  DistinguishedName issuer() const;
  std::chrono::system_clock::time_point this_update() const;
  std::optional<std::chrono::system_clock::time_point> next_update() const;
  std::optional<std::uint64_t> number() const;  // crlNumber; nullopt if absent
  std::vector<RevokedCertificate> revoked() const;
  bool revokes(const Certificate& certificate) const;  // its serial is listed
  // The issuer name equals ca's subject and the signature verifies with ca's public key.
  bool issued_by(const Certificate& ca) const;

  bool operator==(const CertificateRevocationList&) const = default;

 private:
  explicit CertificateRevocationList(std::string der) : der_(std::move(der)) {}
  friend CertificateRevocationList issue_crl(const CertificateAuthority&, const CrlRequest&);
  std::string der_;
};

// Signs a CRL with the CA's key (same digest as CertificateAuthority::sign): v2, the CA's
// subject as issuer, authorityKeyIdentifier and crlNumber (non-critical), entries sorted by
// serial. Throws IssuanceError(InvalidTemplate) for next_update <= this_update or a serial
// that is not hex, CryptoError otherwise.
CertificateRevocationList issue_crl(const CertificateAuthority& ca, const CrlRequest& request);

}  // namespace secprov::crypto
