#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace secprov::crypto {

// Any failure of the crypto layer. openssl_errors() holds the drained OpenSSL error queue
// (library/reason strings only; never key material), empty when the error is not OpenSSL's.
class CryptoError : public std::runtime_error {
 public:
  explicit CryptoError(const std::string& message, const std::string& openssl_errors = {});
  const std::string& openssl_errors() const noexcept { return *openssl_errors_; }

 private:
  std::shared_ptr<const std::string> openssl_errors_;  // shared: exception copies stay noexcept
};

// CertificateAuthority::load() rejected the CA material; reason() is meant for status.
class InvalidCaError : public CryptoError {
 public:
  enum class Reason {
    NotACertificate,  // no parsable certificate in the PEM
    InvalidKey,       // no parsable private key in the PEM
    UnsupportedKey,   // key type/size we cannot sign with (see signature digest rules)
    NotACa,           // basicConstraints CA:FALSE/missing, or keyUsage without keyCertSign
    KeyMismatch,      // private key does not belong to the certificate
    NotYetValid,      // now < notBefore
    Expired,          // now > notAfter
  };
  InvalidCaError(Reason reason, const std::string& detail, const std::string& openssl_errors = {});
  Reason reason() const noexcept { return reason_; }

 private:
  Reason reason_;
};

// CertificateSigningRequest::create() or CertificateAuthority::sign()/create_self_signed()
// refused the request; reason() tells whose fault it is (template, CSR or CA).
class IssuanceError : public CryptoError {
 public:
  enum class Reason {
    InvalidTemplate,          // a malformed DN field, name, URI, IP address, nfType, path length
    InvalidValidity,          // notAfter <= notBefore
    ValidityTooLong,          // longer than kMaxIssuedValidity (3 years, TS 33.310)
    ExceedsCaValidity,        // notAfter later than the CA certificate's notAfter
    CaNotValid,               // the CA certificate is not valid at "now"
    PathLengthExceeded,       // sub-CA requested but the CA's pathLenConstraint forbids it
    CsrSignatureInvalid,      // the CSR is not signed by its own key (no proof of possession)
    UnsupportedKey,           // subject key is not one of KeyAlgorithm
    MissingSubjectAltName,    // end-entity template without any DNS name, URI or IP address
    MissingExtendedKeyUsage,  // end-entity template with neither server_auth nor client_auth
  };
  IssuanceError(Reason reason, const std::string& detail, const std::string& openssl_errors = {});
  Reason reason() const noexcept { return reason_; }

 private:
  Reason reason_;
};

std::string_view to_string(InvalidCaError::Reason reason) noexcept;
std::string_view to_string(IssuanceError::Reason reason) noexcept;

}  // namespace secprov::crypto
