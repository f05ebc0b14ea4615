#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace secprov::kube {

// What went wrong, in terms a caller can act on (mirrors apimachinery's
// StatusReason plus the failures that never reach the server).
enum class ErrorKind {
  NotFound,              // 404: object or resource does not exist
  AlreadyExists,         // 409 AlreadyExists: create of an existing name
  Conflict,              // 409 Conflict: stale resourceVersion or failed precondition (re-read)
  FieldManagerConflict,  // 409 Conflict with FieldManagerConflict causes: a server-side
                         // apply without force touched fields another manager owns
  Gone,                  // 410: resourceVersion too old, relist
  Invalid,               // 422: field validation failed, see causes
  BadRequest,            // 400
  Unauthorized,          // 401: credentials missing or rejected
  Forbidden,             // 403: RBAC denied
  MethodNotAllowed,      // 405
  TooManyRequests,       // 429: throttled, see retry_after
  Timeout,               // 504 or client-side request timeout
  ServerError,           // other 5xx
  Transport,             // connection refused, TLS failure, stream broken
  Decode,                // the server answered something that is not what the API promises
};

std::string_view to_string(ErrorKind kind);

// One field-level cause of an Invalid error (metav1.StatusCause).
struct StatusCause {
  std::string type;     // e.g. FieldValueInvalid
  std::string message;  // human readable
  std::string field;    // e.g. spec.sbi.tls.minVersion
};

class ApiError : public std::runtime_error {
 public:
  ApiError(ErrorKind kind, int http_status, std::string message, std::string reason = {},
           std::vector<StatusCause> causes = {},
           std::optional<std::chrono::seconds> retry_after = std::nullopt);

  ErrorKind kind() const noexcept { return kind_; }
  int http_status() const noexcept { return http_status_; }  // 0 when no HTTP answer arrived
  // The server's (or transport's) message alone; what() adds kind, status and reason.
  const std::string& message() const noexcept { return message_; }
  const std::string& reason() const noexcept { return reason_; }
  const std::vector<StatusCause>& causes() const noexcept { return causes_; }
  std::optional<std::chrono::seconds> retry_after() const noexcept { return retry_after_; }
  // True where the same request may succeed later without any change by the caller.
  bool retryable() const noexcept;

 private:
  ErrorKind kind_;
  int http_status_;
  std::string message_;
  std::string reason_;
  std::vector<StatusCause> causes_;
  std::optional<std::chrono::seconds> retry_after_;
};

// Decodes a non-2xx answer (a metav1.Status body where the server sent one). The kind follows
// the HTTP status (409 split by reason and causes); the reason decides only where the status
// does not.
// retry_after_header: the Retry-After value in seconds (falls back to details.retryAfterSeconds).
ApiError error_from_response(int http_status, std::string_view body,
                             std::optional<std::string_view> retry_after_header);

inline bool is_not_found(const ApiError& e) {
  return e.kind() == ErrorKind::NotFound;
}
// The caller's view is stale ("the object has been modified"): re-read and retry.
inline bool is_conflict(const ApiError& e) {
  return e.kind() == ErrorKind::Conflict;
}
// An apply lost to another field manager: causes() name the fields and the managers. Retrying
// does not help; only force (taking the fields over) or leaving them out does.
inline bool is_field_manager_conflict(const ApiError& e) {
  return e.kind() == ErrorKind::FieldManagerConflict;
}
inline bool is_already_exists(const ApiError& e) {
  return e.kind() == ErrorKind::AlreadyExists;
}
inline bool is_gone(const ApiError& e) {
  return e.kind() == ErrorKind::Gone;
}

// A configuration that cannot be used (kubeconfig, in-cluster files). Names the field.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string field, std::string reason);
  const std::string& field() const noexcept { return field_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string field_;
  std::string reason_;
};

}  // namespace secprov::kube
