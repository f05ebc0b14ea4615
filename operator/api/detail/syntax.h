#pragma once
// Internal: hand-written equivalents of the CRD patterns and CEL functions (no std::regex),
// each documented with the pattern/function it mirrors.

#include <string>
#include <string_view>

namespace secprov::api::detail {

// The CRD's patterns, as error messages quote them (one copy for every type's validation).
inline constexpr std::string_view kDnsLabelPattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
inline constexpr std::string_view kDnsSubdomainPattern =
    R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)";
inline constexpr std::string_view kUuidPattern =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

// ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
bool is_dns_label(std::string_view s);
// ^[a-z]([-a-z0-9]*[a-z0-9])?$   (DNS-1035 label: what a Service name must be; no length bound)
bool is_dns1035_label(std::string_view s);
// ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
bool is_dns_subdomain(std::string_view s);
// ^(\*\.)?<dns subdomain>$
bool is_dns_name_with_wildcard(std::string_view s);
// ^(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$
// (as is_dns_name_with_wildcard, every label at most 63 characters)
bool is_dns_name_with_wildcard_short_labels(std::string_view s);
// ^([0-9]{1,5}(\.[0-9]+)?(ns|us|ms|s|m|h))+$   (a Go duration whose numbers have at most 5
// integer digits, so that with maxLength 32 it stays far below Go's int64 nanoseconds)
bool is_short_go_duration(std::string_view s);
// ^[!#-\[\]-~]([ !#-\[\]-~]*[!#-\[\]-~])?$   (printable ASCII without '"' and '\', spaces
// inside only: an IKE identity that swanctl.conf quoting and strongSwan's parser take as is)
bool is_ike_identity(std::string_view s);
// ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$
bool is_uuid(std::string_view s);
// ^https://[^\s/?#]+(/[^\s?#]*)?$   (\s as in RE2: [\t\n\f\r ])
bool is_https_url(std::string_view s);
// ^[A-Za-z0-9][A-Za-z0-9_.:-]*$
bool is_oauth2_scope(std::string_view s);
// ^[a-z0-9]+(-[a-z0-9]+)*$
bool is_ipsec_proposal(std::string_view s);
// ^[0-9]{min,max}$
bool is_digits(std::string_view s, std::size_t min, std::size_t max);
// ^[A-Z]{2}$
bool is_country_code(std::string_view s);
// Kubernetes CEL isIP(): Go netip.ParseAddr, no zone, no IPv4-mapped IPv6.
bool is_ip(std::string_view s);
// Kubernetes CEL isCIDR(): Go netip.ParsePrefix, no IPv4-mapped IPv6.
bool is_cidr(std::string_view s);
// Kubernetes CEL ip(s).family(): 4 or 6 for an address is_ip() accepts, else 0.
int ip_family(std::string_view s);
// The address as a host prefix, "<ip>/32" or "<ip>/128", IPv6 in its compressed lower-case
// text (so two spellings of one address give one string); "" when not is_ip().
std::string host_prefix(std::string_view s);

}  // namespace secprov::api::detail
