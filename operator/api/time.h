#pragma once
// metav1.Time: RFC 3339 timestamps with second precision, always written in UTC ("Z").

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace secprov::api {

using Timestamp = std::chrono::sys_seconds;

// "2025-01-02T03:04:05Z"
std::string format_rfc3339(Timestamp t);

// Accepts "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)" (also lowercase t/z); fractions are truncated.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

}  // namespace secprov::api
