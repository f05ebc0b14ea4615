#pragma once
// Go-style duration strings ("2160h", "90m", "1h30m", "1.5h"), as cert-manager uses them.
// Accepted grammar is exactly the CRD pattern ^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$
// (no sign, no bare "0", no "µs"); values beyond Go's int64 nanoseconds are rejected,
// like time.ParseDuration / CEL duration().

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace secprov::api {

// The CRD's pattern for duration fields, for messages.
inline constexpr std::string_view kDurationPattern = R"(^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$)";

// Exact value in nanoseconds (what CEL compares); nullopt when malformed or out of range.
std::optional<std::chrono::nanoseconds> parse_go_duration_ns(std::string_view text);

// Whole seconds, sub-second parts truncated; nullopt when malformed or out of range.
std::optional<std::chrono::seconds> parse_go_duration(std::string_view text);

// Compact form that parses back to the same value: "2160h", "1h30m", "45s", "0s".
std::string format_go_duration(std::chrono::seconds d);

}  // namespace secprov::api
