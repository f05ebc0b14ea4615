#pragma once
// What one consistency check says about one pair: a named reason and a message, in the shape
// of cert-manager's policy checks (and of controllers/policies.h, which the pure layer cannot
// link). A check returns std::optional<Finding>: nullopt when the pair passes it.

#include <optional>
#include <string>
#include <string_view>

namespace secprov::check {

enum class Severity {
  Error,    // the two ends cannot interoperate on this interface
  Warning,  // they interoperate, but are not protected as both profiles ask
  Info,     // not decided: a parameter is not modelled or not known (never a silent pass)
};
std::string_view to_string(Severity severity);  // "Error", "Warning", "Info"

struct Finding {
  std::string check;    // the check function's name, e.g. "common_tls_version"
  std::string reason;   // CamelCase, e.g. "NoCommonTlsVersion"
  std::string message;  // names the peer, the interface and the mismatch
  Severity severity = Severity::Error;
  friend bool operator==(const Finding&, const Finding&) = default;
};

using Outcome = std::optional<Finding>;

}  // namespace secprov::check
