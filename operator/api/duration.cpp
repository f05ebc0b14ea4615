#include "api/duration.h"

#include <cstdint>
#include <limits>

namespace secprov::api {
namespace {

constexpr std::uint64_t kMaxNs =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

std::optional<std::chrono::nanoseconds> parse_go_duration_ns(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t total = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    // integer part (at least one digit)
    if (!is_digit(s[i])) return std::nullopt;
    std::uint64_t whole = 0;
    bool whole_overflow = false;
    while (i < s.size() && is_digit(s[i])) {
      if (whole > (kMaxNs - 9) / 10)
        whole_overflow = true;
      else
        whole = whole * 10 + static_cast<std::uint64_t>(s[i] - '0');
      ++i;
    }
    // optional fraction (at least one digit after '.'), as Go's leadingFraction
    std::uint64_t frac = 0;
    double frac_scale = 1;
    if (i < s.size() && s[i] == '.') {
      ++i;
      if (i >= s.size() || !is_digit(s[i])) return std::nullopt;
      bool frac_overflow = false;
      while (i < s.size() && is_digit(s[i])) {
        if (!frac_overflow) {
          if (frac > kMaxNs / 10) {
            frac_overflow = true;
          } else {
            frac = frac * 10 + static_cast<std::uint64_t>(s[i] - '0');
            frac_scale *= 10;
          }
        }
        ++i;
      }
    }
    // unit
    std::uint64_t unit = 0;
    std::string_view rest = s.substr(i);
    if (rest.starts_with("ns"))
      unit = 1, i += 2;
    else if (rest.starts_with("us"))
      unit = 1'000, i += 2;
    else if (rest.starts_with("ms"))
      unit = 1'000'000, i += 2;
    else if (rest.starts_with("s"))
      unit = 1'000'000'000ULL, i += 1;
    else if (rest.starts_with("m"))
      unit = 60ULL * 1'000'000'000ULL, i += 1;
    else if (rest.starts_with("h"))
      unit = 3600ULL * 1'000'000'000ULL, i += 1;
    else
      return std::nullopt;

    if (whole_overflow || (whole != 0 && whole > kMaxNs / unit)) return std::nullopt;
    std::uint64_t v = whole * unit;
    if (frac != 0) {
      // same floating-point expression as Go's time.ParseDuration
      auto add = static_cast<std::uint64_t>(static_cast<double>(frac) *
                                            (static_cast<double>(unit) / frac_scale));
      if (v > kMaxNs - add) return std::nullopt;
      v += add;
    }
    if (total > kMaxNs - v) return std::nullopt;
    total += v;
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(total));
}

std::optional<std::chrono::seconds> parse_go_duration(std::string_view text) {
  auto ns = parse_go_duration_ns(text);
  if (!ns) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(*ns);
}

std::string format_go_duration(std::chrono::seconds d) {
  std::int64_t s = d.count();
  if (s == 0) return "0s";
  std::string out;
  if (s < 0) {
    out = "-";  // not parseable by parse_go_duration (the API has no negative durations)
    s = -s;
  }
  const std::int64_t h = s / 3600;
  const std::int64_t m = (s % 3600) / 60;
  const std::int64_t sec = s % 60;
  if (h != 0) out += std::to_string(h) + "h";
  if (m != 0) out += std::to_string(m) + "m";
  if (sec != 0) out += std::to_string(sec) + "s";
  return out;
}

}  // namespace secprov::api
