#pragma once
// Field errors and the small Result type used by parse/validate.
// Errors are values the caller acts on (reject with the same message as the apiserver).

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace secprov::api {

// Mirrors k8s.io/apimachinery field.ErrorType, restricted to what the API produces.
enum class FieldErrorType {
  Required,      // a required field is missing
  TypeInvalid,   // wrong JSON type
  NotSupported,  // value outside an enum
  Invalid,       // pattern, CEL rule or other semantic rule
  TooLong,       // maxLength
  TooMany,       // maxItems / maxProperties
  TooFew,        // minItems / minProperties / minLength
  Duplicate,     // duplicate item in a set or list-map
  Unknown,       // field not in the schema (strict field validation)
};

std::string_view to_string(FieldErrorType t);

struct FieldError {
  FieldErrorType type = FieldErrorType::Invalid;
  std::string field;   // e.g. "spec.sbi.tls.minVersion", "spec.ipsec.interfaces[0].name"
  std::string reason;  // human-readable, the same text as the CRD's rule message

  // "spec.sbi.tls.minVersion: <reason>"
  std::string message() const;
  friend bool operator==(const FieldError&, const FieldError&) = default;
};

using FieldErrors = std::vector<FieldError>;

// Either a value or the (non-empty) list of errors that prevented building it.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}              // NOLINT(implicit)
  Result(FieldErrors errors) : v_(std::move(errors)) {}  // NOLINT(implicit)

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T* operator->() const { return &std::get<T>(v_); }
  const T& operator*() const& { return std::get<T>(v_); }

  // Empty when ok().
  const FieldErrors& errors() const {
    static const FieldErrors kNone;
    return ok() ? kNone : std::get<FieldErrors>(v_);
  }

 private:
  std::variant<T, FieldErrors> v_;
};

}  // namespace secprov::api
