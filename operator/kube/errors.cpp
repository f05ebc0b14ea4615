#include "kube/errors.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <utility>

namespace secprov::kube {
namespace {

// Non-Status bodies (proxies, load balancers) are quoted only this far into messages.
constexpr std::size_t kMaxQuotedBody = 200;

std::string describe(ErrorKind kind, int http_status, const std::string& reason,
                     const std::string& message) {
  std::string text{to_string(kind)};
  if (http_status != 0) {
    text += " (HTTP " + std::to_string(http_status);
    if (!reason.empty()) text += ", " + reason;
    text += ")";
  }
  if (!message.empty()) text += ": " + message;
  return text;
}

// Where the HTTP status alone does not decide (watch ERROR events without a code).
std::optional<ErrorKind> kind_from_reason(std::string_view reason) {
  if (reason == "NotFound") return ErrorKind::NotFound;
  if (reason == "AlreadyExists") return ErrorKind::AlreadyExists;
  if (reason == "Conflict") return ErrorKind::Conflict;
  if (reason == "Gone" || reason == "Expired") return ErrorKind::Gone;
  if (reason == "Invalid") return ErrorKind::Invalid;
  if (reason == "BadRequest") return ErrorKind::BadRequest;
  if (reason == "Unauthorized") return ErrorKind::Unauthorized;
  if (reason == "Forbidden") return ErrorKind::Forbidden;
  if (reason == "MethodNotAllowed") return ErrorKind::MethodNotAllowed;
  if (reason == "TooManyRequests") return ErrorKind::TooManyRequests;
  if (reason == "Timeout") return ErrorKind::Timeout;
  if (reason == "ServerTimeout" || reason == "InternalError" || reason == "ServiceUnavailable") {
    return ErrorKind::ServerError;
  }
  return std::nullopt;
}

// metav1.CauseTypeFieldManagerConflict, set by the apiserver's managedfields NewConflictError.
constexpr std::string_view kFieldManagerConflictCause = "FieldManagerConflict";

bool has_field_manager_conflict(const std::vector<StatusCause>& causes) {
  return std::any_of(causes.begin(), causes.end(), [](const StatusCause& cause) {
    return cause.type == kFieldManagerConflictCause;
  });
}

ErrorKind kind_from(int http_status, std::string_view reason,
                    const std::vector<StatusCause>& causes) {
  switch (http_status) {
    case 400:
      return ErrorKind::BadRequest;
    case 401:
      return ErrorKind::Unauthorized;
    case 403:
      return ErrorKind::Forbidden;
    case 404:
      return ErrorKind::NotFound;
    case 405:
      return ErrorKind::MethodNotAllowed;
    case 409:
      if (reason == "AlreadyExists") return ErrorKind::AlreadyExists;
      // Both are reason Conflict; only the causes tell an apply conflict from a stale write.
      return has_field_manager_conflict(causes) ? ErrorKind::FieldManagerConflict
                                                : ErrorKind::Conflict;
    case 410:
      return ErrorKind::Gone;
    case 422:
      return ErrorKind::Invalid;
    case 429:
      return ErrorKind::TooManyRequests;
    case 504:
      return ErrorKind::Timeout;
    default:
      break;
  }
  if (http_status >= 500 && http_status < 600) return ErrorKind::ServerError;
  if (const auto by_reason = kind_from_reason(reason)) return *by_reason;
  // Other 4xx (415, 413, ...) mean the request itself is wrong.
  if (http_status >= 400 && http_status < 500) return ErrorKind::BadRequest;
  return ErrorKind::Decode;  // not an error status at all: the server broke the protocol
}

std::optional<std::chrono::seconds> parse_seconds(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  // HTTP-date values are not supported: the API server always sends seconds.
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  return std::chrono::seconds(value);
}

std::string string_field(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::string printable_prefix(std::string_view body) {
  std::string out;
  for (const char c : body.substr(0, kMaxQuotedBody)) {
    out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  }
  if (body.size() > kMaxQuotedBody) out += "...";
  return out;
}

}  // namespace

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::NotFound:
      return "NotFound";
    case ErrorKind::AlreadyExists:
      return "AlreadyExists";
    case ErrorKind::Conflict:
      return "Conflict";
    case ErrorKind::FieldManagerConflict:
      return "FieldManagerConflict";
    case ErrorKind::Gone:
      return "Gone";
    case ErrorKind::Invalid:
      return "Invalid";
    case ErrorKind::BadRequest:
      return "BadRequest";
    case ErrorKind::Unauthorized:
      return "Unauthorized";
    case ErrorKind::Forbidden:
      return "Forbidden";
    case ErrorKind::MethodNotAllowed:
      return "MethodNotAllowed";
    case ErrorKind::TooManyRequests:
      return "TooManyRequests";
    case ErrorKind::Timeout:
      return "Timeout";
    case ErrorKind::ServerError:
      return "ServerError";
    case ErrorKind::Transport:
      return "Transport";
    case ErrorKind::Decode:
      return "Decode";
  }
  return "Unknown";
}

ApiError::ApiError(ErrorKind kind, int http_status, std::string message, std::string reason,
                   std::vector<StatusCause> causes, std::optional<std::chrono::seconds> retry_after)
    : std::runtime_error(describe(kind, http_status, reason, message)),
      kind_(kind),
      http_status_(http_status),
      message_(std::move(message)),
      reason_(std::move(reason)),
      causes_(std::move(causes)),
      retry_after_(retry_after) {}

bool ApiError::retryable() const noexcept {
  switch (kind_) {
    case ErrorKind::TooManyRequests:
    case ErrorKind::Timeout:
    case ErrorKind::ServerError:
    case ErrorKind::Transport:
      return true;
    default:
      return false;
  }
}

ApiError error_from_response(int http_status, std::string_view body,
                             std::optional<std::string_view> retry_after_header) {
  std::string reason;
  std::string message;
  std::vector<StatusCause> causes;
  std::optional<std::chrono::seconds> retry_after;

  const auto status = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  const bool is_status =
      status.is_object() && (string_field(status, "kind") == "Status" ||
                             status.contains("reason") || status.contains("code"));
  if (is_status) {
    reason = string_field(status, "reason");
    message = string_field(status, "message");
    if (const auto details = status.find("details");
        details != status.end() && details->is_object()) {
      if (const auto list = details->find("causes"); list != details->end() && list->is_array()) {
        for (const auto& cause : *list) {
          if (!cause.is_object()) continue;
          // metav1.StatusCause serialises its type as "reason".
          std::string type = string_field(cause, "reason");
          if (type.empty()) type = string_field(cause, "type");
          causes.push_back(
              {std::move(type), string_field(cause, "message"), string_field(cause, "field")});
        }
      }
      if (const auto secs = details->find("retryAfterSeconds");
          secs != details->end() && secs->is_number_integer() && secs->get<long long>() >= 0) {
        retry_after = std::chrono::seconds(secs->get<long long>());
      }
    }
  } else if (!body.empty()) {
    message = printable_prefix(body);
  }
  if (message.empty()) message = "HTTP status " + std::to_string(http_status);

  if (retry_after_header) {
    if (const auto parsed = parse_seconds(*retry_after_header)) retry_after = parsed;
  }
  const ErrorKind kind = kind_from(http_status, reason, causes);
  if (kind != ErrorKind::TooManyRequests && kind != ErrorKind::ServerError &&
      kind != ErrorKind::Timeout) {
    retry_after.reset();  // only meaningful where a retry is expected
  }
  return ApiError(kind, http_status, std::move(message), std::move(reason), std::move(causes),
                  retry_after);
}

ConfigError::ConfigError(std::string field, std::string reason)
    : std::runtime_error(field + ": " + reason),
      field_(std::move(field)),
      reason_(std::move(reason)) {}

}  // namespace secprov::kube
