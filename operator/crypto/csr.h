#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/handle.h"
#include "crypto/key.h"
#include "crypto/template.h"

namespace secprov::crypto {

// A PKCS#10 certificate signing request. Copies are deep copies.
class CertificateSigningRequest {
 public:
  // Signed by `key`; requests template.subject and, when any name is given, a critical
  // subjectAltName with template.dns_names/uris/ip_addresses. Other template fields are
  // ignored (the CA decides them). Throws IssuanceError(InvalidTemplate) or CryptoError.
  static CertificateSigningRequest create(const PrivateKey& key,
                                          const CertificateTemplate& request);
  // First "CERTIFICATE REQUEST" in the text. Throws CryptoError.
  static CertificateSigningRequest from_pem(std::string_view pem);

  std::string to_pem() const;
  // True if the CSR is signed by the key it carries (proof of possession).
  bool verify_self_signature() const;

  DistinguishedName subject() const;
  std::vector<std::string> dns_names() const;  // requested SAN entries
  std::vector<std::string> uris() const;
  std::string public_key_sha256() const;  // same digest as PrivateKey::public_key_sha256
  std::optional<KeyAlgorithm> key_algorithm() const;

 private:
  friend struct detail::Access;
  explicit CertificateSigningRequest(detail::Handle<X509_req_st> req) noexcept
      : req_(std::move(req)) {}
  detail::Handle<X509_req_st> req_;
};

}  // namespace secprov::crypto
