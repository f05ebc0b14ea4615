#include "api/detail/syntax.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <string>

#include "api/constants.h"
#include "api/text.h"

namespace secprov::api::detail {
namespace {

bool lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool digit(char c) {
  return c >= '0' && c <= '9';
}
bool parse_v4(std::string_view s, unsigned char out[4]) {
  // dotted quad, no leading zeros (Go netip / glibc inet_pton agree on this)
  std::size_t part = 0;
  std::size_t i = 0;
  while (part < 4) {
    if (i >= s.size() || !digit(s[i])) return false;
    std::size_t start = i;
    unsigned v = 0;
    while (i < s.size() && digit(s[i])) {
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
      if (v > 255) return false;
      ++i;
    }
    if (i - start > 1 && s[start] == '0') return false;
    out[part++] = static_cast<unsigned char>(v);
    if (part < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size();
}

bool parse_v6(std::string_view s, unsigned char out[16]) {
  if (s.size() > 45 || s.find('%') != std::string_view::npos) return false;  // no zones
  std::string buf(s);
  return inet_pton(AF_INET6, buf.c_str(), out) == 1;
}

bool is_v4_mapped(const unsigned char a[16]) {
  static constexpr std::array<unsigned char, 12> kPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(a, kPrefix.data(), kPrefix.size()) == 0;
}

}  // namespace

bool is_dns_label(std::string_view s) {
  if (s.empty()) return false;
  if (!lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  for (char c : s) {
    if (!lower_alnum(c) && c != '-') return false;
  }
  return true;
}

bool is_dns1035_label(std::string_view s) {
  return is_dns_label(s) && s.front() >= 'a' && s.front() <= 'z';
}

bool is_dns_subdomain(std::string_view s) {
  if (s.empty()) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = s.find('.', start);
    if (!is_dns_label(s.substr(start, dot == std::string_view::npos ? dot : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool is_dns_name_with_wildcard(std::string_view s) {
  if (s.starts_with("*.")) s.remove_prefix(2);
  return is_dns_subdomain(s);
}

bool is_dns_name_with_wildcard_short_labels(std::string_view s) {
  if (!is_dns_name_with_wildcard(s)) return false;
  if (s.starts_with("*.")) s.remove_prefix(2);
  std::size_t label = 0;
  for (char c : s) {
    label = c == '.' ? 0 : label + 1;
    if (label > 63) return false;
  }
  return true;
}

bool is_short_go_duration(std::string_view s) {
  if (s.empty()) return false;
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t start = i;
    while (i < s.size() && digit(s[i])) ++i;
    if (i == start || i - start > 5) return false;
    if (i < s.size() && s[i] == '.') {
      const std::size_t frac = ++i;
      while (i < s.size() && digit(s[i])) ++i;
      if (i == frac) return false;
    }
    const std::string_view rest = s.substr(i);
    if (rest.starts_with("ns") || rest.starts_with("us") || rest.starts_with("ms")) {
      i += 2;
    } else if (rest.starts_with("s") || rest.starts_with("m") || rest.starts_with("h")) {
      i += 1;
    } else {
      return false;
    }
  }
  return true;
}

bool is_ike_identity(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

bool is_uuid(std::string_view s) {
  // Either case: the layout is api::is_lower_uuid's.
  std::string lower(s);
  for (auto& c : lower) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return is_lower_uuid(lower);
}

bool is_https_url(std::string_view s) {
  constexpr std::string_view kScheme = "https://";
  if (!s.starts_with(kScheme)) return false;
  s.remove_prefix(kScheme.size());
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; };
  std::size_t i = 0;
  while (i < s.size() && !space(s[i]) && s[i] != '/' && s[i] != '?' && s[i] != '#') ++i;
  if (i == 0) return false;
  if (i == s.size()) return true;
  if (s[i] != '/') return false;
  for (++i; i < s.size(); ++i) {
    if (space(s[i]) || s[i] == '?' || s[i] == '#') return false;
  }
  return true;
}

bool is_oauth2_scope(std::string_view s) {
  if (s.empty()) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || digit(c); };
  if (!alnum(s.front())) return false;
  for (char c : s) {
    if (!alnum(c) && c != '_' && c != '.' && c != ':' && c != '-') return false;
  }
  return true;
}

bool is_ipsec_proposal(std::string_view s) {
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  char prev = '-';
  for (char c : s) {
    if (c == '-') {
      if (prev == '-') return false;
    } else if (!lower_alnum(c)) {
      return false;
    }
    prev = c;
  }
  return true;
}

bool is_digits(std::string_view s, std::size_t min, std::size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (char c : s) {
    if (!digit(c)) return false;
  }
  return true;
}

bool is_country_code(std::string_view s) {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

bool is_ip(std::string_view s) {
  if (s.find(':') == std::string_view::npos) {
    unsigned char v4[4];
    return parse_v4(s, v4);
  }
  unsigned char v6[16];
  return parse_v6(s, v6) && !is_v4_mapped(v6);
}

bool is_cidr(std::string_view s) {
  const std::size_t slash = s.rfind('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view addr = s.substr(0, slash);
  const std::string_view bits = s.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 || !is_digits(bits, 1, 3)) return false;
  if (bits.size() > 1 && bits.front() == '0') return false;  // no leading zeros
  const int n = std::stoi(std::string(bits));
  if (addr.find(':') == std::string_view::npos) {
    unsigned char v4[4];
    return parse_v4(addr, v4) && n <= 32;
  }
  unsigned char v6[16];
  return parse_v6(addr, v6) && !is_v4_mapped(v6) && n <= 128;
}

int ip_family(std::string_view s) {
  if (!is_ip(s)) return 0;
  return s.find(':') == std::string_view::npos ? 4 : 6;
}

std::string host_prefix(std::string_view s) {
  switch (ip_family(s)) {
    case 4:
      return std::string(s) + "/32";  // parse_v4 admits one spelling only (no leading zeros)
    case 6: {
      unsigned char v6[16];
      char text[INET6_ADDRSTRLEN];
      if (!parse_v6(s, v6) || inet_ntop(AF_INET6, v6, text, sizeof text) == nullptr) return {};
      return std::string(text) + "/128";
    }
    default:
      return {};
  }
}

}  // namespace secprov::api::detail
