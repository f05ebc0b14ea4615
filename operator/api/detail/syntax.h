#pragma once
// Internal: hand-written equivalents of the CRD patterns and CEL functions (no std::regex),
// each documented with the pattern/function it mirrors.

#include <string_view>

namespace secprov::api::detail {

// ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
bool is_dns_label(std::string_view s);
// ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
bool is_dns_subdomain(std::string_view s);
// ^(\*\.)?<dns subdomain>$
bool is_dns_name_with_wildcard(std::string_view s);
// ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$
bool is_uuid(std::string_view s);
// ^https://[^\s/?#]+(/[^\s?#]*)?$   (\s as in RE2: [\t\n\f\r ])
bool is_https_url(std::string_view s);
// ^[A-Za-z0-9][A-Za-z0-9_.:-]*$
bool is_oauth2_scope(std::string_view s);
// ^[a-z0-9]+(-[a-z0-9]+)*$
bool is_ipsec_proposal(std::string_view s);
// CEL: self.matches('(^|-)(des|3des|md5|modp768|modp1024)(-|$)')
bool has_weak_ipsec_algorithm(std::string_view s);
// ^[0-9]{min,max}$
bool is_digits(std::string_view s, std::size_t min, std::size_t max);
// ^[A-Z]{2}$
bool is_country_code(std::string_view s);
// Kubernetes CEL isIP(): Go netip.ParseAddr, no zone, no IPv4-mapped IPv6.
bool is_ip(std::string_view s);
// Kubernetes CEL isCIDR(): Go netip.ParsePrefix, no IPv4-mapped IPv6.
bool is_cidr(std::string_view s);

}  // namespace secprov::api::detail
