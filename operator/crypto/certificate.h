#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/handle.h"
#include "crypto/key.h"
#include "crypto/template.h"

namespace secprov::crypto {

struct KeyUsage {  // the keyUsage bits the profiles use
  bool critical = false;
  bool digital_signature = false;
  bool key_encipherment = false;
  bool key_cert_sign = false;
  bool crl_sign = false;
};

struct ExtendedKeyUsage {
  bool critical = false;
  bool server_auth = false;
  bool client_auth = false;
  bool oauth_access_token_signing = false;  // kOAuthAccessTokenSigningOid (RFC 9509)
};

struct BasicConstraints {
  bool critical = false;
  bool ca = false;
  std::optional<int> path_length;
};

// An X.509 certificate (immutable). Copies share the OpenSSL object (X509_up_ref).
// Hex strings (serial, digests, key identifiers) are lowercase without separators.
class Certificate {
 public:
  // First certificate in the PEM text. Throws CryptoError if there is none.
  static Certificate from_pem(std::string_view pem);
  // All certificates in the PEM text, in order (leaf first for a TLS chain).
  // Throws CryptoError if there is none or one is malformed.
  static std::vector<Certificate> parse_chain(std::string_view pem);

  // The DER encoding, e.g. for a compact cache entry. from_der throws CryptoError when the
  // bytes are not exactly one certificate.
  static Certificate from_der(std::string_view der);
  std::string to_der() const;

  std::string to_pem() const;

  std::string serial_hex() const;          // e.g. "4f09..."; "-" prefix if (foreign) negative
  std::string sha256_fingerprint() const;  // SHA-256 of the DER certificate
  std::chrono::system_clock::time_point not_before() const;
  std::chrono::system_clock::time_point not_after() const;
  DistinguishedName subject() const;
  DistinguishedName issuer() const;
  std::string signature_algorithm() const;  // OpenSSL long name, e.g. "ecdsa-with-SHA384"

  // subjectAltName
  std::vector<std::string> dns_names() const;
  std::vector<std::string> uris() const;
  std::vector<std::string> ip_addresses() const;  // textual, IPv6 in RFC 5952 form
  bool san_critical() const;                      // false if there is no SAN

  std::optional<BasicConstraints> basic_constraints() const;  // nullopt if absent
  bool is_ca() const;                         // basicConstraints present with CA:TRUE
  std::optional<KeyUsage> key_usage() const;  // nullopt if absent
  std::optional<ExtendedKeyUsage> extended_key_usage() const;  // nullopt if absent
  std::optional<std::string> subject_key_id() const;           // hex, nullopt if absent
  std::optional<std::string> authority_key_id() const;         // hex keyIdentifier
  std::vector<std::string> crl_distribution_points() const;    // fullName URIs
  std::vector<std::string> nf_types() const;                   // RFC 9310, empty if absent
  // Criticality of the extension with this dotted OID; nullopt if absent.
  std::optional<bool> extension_critical(std::string_view oid) const;

  std::string public_key_sha256() const;  // same digest as PrivateKey::public_key_sha256
  std::optional<KeyAlgorithm> key_algorithm() const;

  // The issuer name equals ca's subject and the signature verifies with ca's public key.
  // No validity, key usage or chain checks (use verify_chain for that).
  bool issued_by(const Certificate& ca) const;

  bool operator==(const Certificate& other) const;  // same DER encoding

 private:
  friend struct detail::Access;
  explicit Certificate(detail::Handle<x509_st> cert) noexcept : cert_(std::move(cert)) {}
  Certificate(detail::Handle<x509_st> cert, detail::Handle<evp_pkey_st> key) noexcept
      : cert_(std::move(cert)), key_(std::move(key)) {}
  detail::Handle<x509_st> cert_;
  // The subject's key of a certificate issued in this process, whose X509 may not hold it
  // (detail::build_certificate); empty for a parsed one. Read through Access::public_key.
  detail::Handle<evp_pkey_st> key_;
};

// The DER bytes of each CERTIFICATE block of a PEM text, in order, only base64-decoded (not
// parsed as X.509): what a cache keeps or fingerprints (crypto::sha256_hex of a block is the
// certificate's sha256_fingerprint) at a fraction of a parse. Other blocks are skipped; the
// list ends at the first block that does not decode.
std::vector<std::string> certificate_der_blocks(std::string_view pem);

// RFC 9310 id-pe-nftype.
inline constexpr std::string_view kNfTypesOid = "1.3.6.1.5.5.7.1.34";
inline constexpr std::string_view kSubjectAltNameOid = "2.5.29.17";

// Path validation (OpenSSL X509_verify_cert, default flags, no purpose check) of leaf up to
// one of roots, using intermediates as untrusted helpers, at time `at`.
// nullopt if valid, else the OpenSSL verification error, e.g. "certificate has expired".
std::optional<std::string> verify_chain(const Certificate& leaf,
                                        const std::vector<Certificate>& intermediates,
                                        const std::vector<Certificate>& roots,
                                        std::chrono::system_clock::time_point at);

}  // namespace secprov::crypto
