#include "api/errors.h"

namespace secprov::api {

std::string_view to_string(FieldErrorType t) {
  switch (t) {
    case FieldErrorType::Required:
      return "Required";
    case FieldErrorType::TypeInvalid:
      return "TypeInvalid";
    case FieldErrorType::NotSupported:
      return "NotSupported";
    case FieldErrorType::Invalid:
      return "Invalid";
    case FieldErrorType::TooLong:
      return "TooLong";
    case FieldErrorType::TooMany:
      return "TooMany";
    case FieldErrorType::TooFew:
      return "TooFew";
    case FieldErrorType::Duplicate:
      return "Duplicate";
    case FieldErrorType::Unknown:
      return "Unknown";
  }
  return "Invalid";
}

std::string FieldError::message() const {
  return field + ": " + reason;
}

}  // namespace secprov::api
