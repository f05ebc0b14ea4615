#include "crypto/errors.h"

namespace secprov::crypto {
namespace {

std::string compose(const std::string& message, const std::string& openssl_errors) {
  return openssl_errors.empty() ? message : message + ": " + openssl_errors;
}

}  // namespace

CryptoError::CryptoError(const std::string& message, const std::string& openssl_errors)
    : std::runtime_error(compose(message, openssl_errors)),
      openssl_errors_(std::make_shared<const std::string>(openssl_errors)) {}

InvalidCaError::InvalidCaError(Reason reason, const std::string& detail,
                               const std::string& openssl_errors)
    : CryptoError("invalid CA (" + std::string(to_string(reason)) + "): " + detail, openssl_errors),
      reason_(reason) {}

IssuanceError::IssuanceError(Reason reason, const std::string& detail,
                             const std::string& openssl_errors)
    : CryptoError("cannot issue (" + std::string(to_string(reason)) + "): " + detail,
                  openssl_errors),
      reason_(reason) {}

std::string_view to_string(InvalidCaError::Reason reason) noexcept {
  using R = InvalidCaError::Reason;
  switch (reason) {
    case R::NotACertificate:
      return "NotACertificate";
    case R::InvalidKey:
      return "InvalidKey";
    case R::UnsupportedKey:
      return "UnsupportedKey";
    case R::NotACa:
      return "NotACa";
    case R::KeyMismatch:
      return "KeyMismatch";
    case R::NotYetValid:
      return "NotYetValid";
    case R::Expired:
      return "Expired";
  }
  return "Unknown";
}

std::string_view to_string(IssuanceError::Reason reason) noexcept {
  using R = IssuanceError::Reason;
  switch (reason) {
    case R::InvalidTemplate:
      return "InvalidTemplate";
    case R::InvalidValidity:
      return "InvalidValidity";
    case R::ValidityTooLong:
      return "ValidityTooLong";
    case R::ExceedsCaValidity:
      return "ExceedsCaValidity";
    case R::CaNotValid:
      return "CaNotValid";
    case R::PathLengthExceeded:
      return "PathLengthExceeded";
    case R::CsrSignatureInvalid:
      return "CsrSignatureInvalid";
    case R::UnsupportedKey:
      return "UnsupportedKey";
    case R::MissingSubjectAltName:
      return "MissingSubjectAltName";
    case R::MissingExtendedKeyUsage:
      return "MissingExtendedKeyUsage";
  }
  return "Unknown";
}

}  // namespace secprov::crypto
