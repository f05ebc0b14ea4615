#pragma once
// What the operator keeps of a stored leaf certificate in place of its DER (a third of it):
// everything a reconcile reads back from the leaf (fingerprint, serial, validity, URIs, the
// OAuth2 signing usage) and what checks its issuer without the certificate, the digest of its
// signed part (tbsCertificate) and its signature, verified against a CA's key as X509_verify
// verifies them.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/certificate.h"

namespace secprov::crypto {

class LeafFacts {
 public:
  // Read from a parsed certificate's encoding, as of_der. Throws CryptoError when that is not
  // DER (never for a certificate issued here).
  static LeafFacts of(const Certificate& leaf);
  // Read from a certificate's DER as it is stored (a PEM block, certificate_der_blocks) without
  // d2i_X509, which would decode the subject's key: every part d2i_X509 checks is checked, the
  // key's bits only as a BIT STRING. Throws CryptoError when the bytes are not exactly one
  // certificate OpenSSL reads, and for encodings only BER allows (indefinite or padded lengths,
  // constructed strings), which OpenSSL reads but the operator never writes.
  static LeafFacts of_der(std::string_view der);
  // The compact binary form a cache keeps, and its exact inverse: nullopt for bytes that are
  // not such a form (truncated, trailing bytes, another version).
  std::string encode() const;
  static std::optional<LeafFacts> decode(std::string_view bytes);

  std::string sha256_fingerprint() const;  // as Certificate::sha256_fingerprint
  const std::string& serial_hex() const { return serial_hex_; }
  std::chrono::system_clock::time_point not_before() const;
  std::chrono::system_clock::time_point not_after() const;
  const std::vector<std::string>& uris() const { return uris_; }
  // extendedKeyUsage includes kOAuthAccessTokenSigningOid.
  bool oauth_access_token_signing() const { return oauth_access_token_signing_; }

  // A CA read once for the many leaves checked against it (a rotation gate's pass, a
  // profile's pass): the first bytes of its subject name's digest and its key. Copies share
  // the key.
  class Issuer {
   public:
    // Throws CryptoError only when OpenSSL cannot encode ca's subject name.
    explicit Issuer(const Certificate& ca);

   private:
    friend class LeafFacts;
    std::array<std::uint8_t, 8> name_digest_{};
    detail::Handle<evp_pkey_st> key_;  // empty when ca has no key OpenSSL can use
  };

  // As Certificate::issued_by: the issuer name is ca's subject and ca's key verifies the
  // signature (same algorithm inside and outside the signed part, a whole number of octets).
  // Stricter in one way: the names are compared as encoded, where X509_NAME_cmp would also
  // match a variant in letter case, spaces or string type (a leaf issued here copies its CA's
  // subject). False for a signature that cannot be checked from a digest (RSA-PSS, EdDSA),
  // which the operator never makes.
  bool issued_by(const Issuer& ca) const;
  // The same for one check: issued_by(Issuer(ca)).
  bool issued_by(const Certificate& ca) const;

  friend bool operator==(const LeafFacts&, const LeafFacts&) = default;

 private:
  std::array<std::uint8_t, 32> fingerprint_{};  // SHA-256 of the DER certificate
  std::string serial_hex_;
  std::int64_t not_before_ = 0;  // seconds since the epoch
  std::int64_t not_after_ = 0;
  std::vector<std::string> uris_;
  bool oauth_access_token_signing_ = false;
  // The issuer check. An issuer name is compared by the first bytes of its DER's SHA-256:
  // the signature, not the name, is what proves the issuer; the name only tells two CAs
  // that share a key apart.
  std::array<std::uint8_t, 8> issuer_name_digest_{};
  std::uint16_t digest_nid_ = 0;  // the signature's digest; 0: not checkable from a digest
  std::uint16_t key_nid_ = 0;     // the signing key's type (EVP_PKEY_EC or EVP_PKEY_RSA)
  std::string tbs_digest_;
  std::string signature_;
};

}  // namespace secprov::crypto
