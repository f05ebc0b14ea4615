#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace secprov::crypto {

// The DN attributes the profile uses. Empty fields are left out of the encoded name;
// on reading, only the first occurrence of each attribute is reported (as UTF-8).
struct DistinguishedName {
  std::string country;  // C, exactly 2 characters when set
  std::string organization;
  std::string organizational_unit;
  std::string common_name;

  bool operator==(const DistinguishedName&) const = default;
};

// Longest validity CertificateAuthority::sign() accepts (TS 33.310: at most 3 years;
// std::chrono::years is the average Gregorian year, so this is 1095.7 days).
inline constexpr std::chrono::system_clock::duration kMaxIssuedValidity = std::chrono::years{3};

// What to put in a CSR (subject and SAN only) or in an issued certificate (everything).
struct CertificateTemplate {
  DistinguishedName subject;              // C=<country>, O=<home domain> for NF certificates
  std::vector<std::string> dns_names;     // dNSName SAN entries (FQDNs, may start with "*.")
  std::vector<std::string> uris;          // URI SAN entries, e.g. "urn:uuid:<nfInstanceId>"
  std::vector<std::string> ip_addresses;  // iPAddress SAN entries, textual IPv4/IPv6
  std::chrono::system_clock::time_point not_before;  // stored with 1 s resolution (truncated)
  std::chrono::system_clock::time_point not_after;
  bool is_ca = false;              // issue a sub-CA instead of an end-entity certificate
  std::optional<int> path_length;  // pathLenConstraint, only with is_ca
  bool server_auth = true;         // extendedKeyUsage id-kp-serverAuth (end entity)
  bool client_auth = true;         // extendedKeyUsage id-kp-clientAuth (end entity)
  std::optional<std::string> crl_distribution_point;  // URI for cRLDistributionPoints
  std::vector<std::string> nf_types;  // RFC 9310 nfTypes (id-pe 34), omitted when empty
};

}  // namespace secprov::crypto
