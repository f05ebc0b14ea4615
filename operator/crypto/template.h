#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
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

// RFC 9509 3: id-kp-oauthAccessTokenSigning ::= { id-kp 39 }, the KeyPurposeId of a
// certificate whose key signs OAuth 2.0 access tokens (the NRF, TS 33.501 13.4.1).
inline constexpr std::string_view kOAuthAccessTokenSigningOid = "1.3.6.1.5.5.7.3.39";

// What to put in a CSR (subject and SAN only) or in an issued certificate (everything).
// subjectAltName criticality follows RFC 5280 4.2.1.6: non-critical while the subject is not
// empty, critical when it is empty. NF certificates keep the subject TS 33.310 6.1.3c names
// (C, O), so their SAN is non-critical; the alternative (empty subject, critical SAN) was not
// chosen because consumers that log or match on the subject would see nothing.
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
  // extendedKeyUsage id-kp-oauthAccessTokenSigning (RFC 9509 3, 1.3.6.1.5.5.7.3.39): the
  // NRF's access-token signing certificate (end entity; without serverAuth/clientAuth).
  bool oauth_access_token_signing = false;
  std::optional<std::string> crl_distribution_point;  // URI for cRLDistributionPoints
  std::vector<std::string> nf_types;  // RFC 9310 nfTypes (id-pe 34), omitted when empty
};

}  // namespace secprov::crypto
