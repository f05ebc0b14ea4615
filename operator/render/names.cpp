#include "render/names.h"

#include <algorithm>

#include "render/detail/common.h"

namespace secprov::render {

namespace {
constexpr std::size_t kMaxObjectName = 253;  // DNS subdomain
}  // namespace

std::string tls_secret_name(const api::SecurityProfile& profile) {
  return detail::bounded_name(profile.metadata.name, "-tls", kMaxObjectName);
}

std::string config_map_name(const api::SecurityProfile& profile) {
  return detail::bounded_name(profile.metadata.name, "-security", kMaxObjectName);
}

std::string ipsec_secret_name(const api::SecurityProfile& profile) {
  return detail::bounded_name(profile.metadata.name, "-ipsec", kMaxObjectName);
}

std::string trust_bundle_name(std::string_view trust_domain) {
  return detail::bounded_name(trust_domain, "-ca", kMaxObjectName);
}

std::string normalized_nf_instance_id(std::string_view nf_instance_id) {
  return detail::lower(nf_instance_id);
}

std::string nf_instance_uri(std::string_view nf_instance_id) {
  return "urn:uuid:" + normalized_nf_instance_id(nf_instance_id);
}

std::vector<std::string> sbi_dns_names(const api::SecurityProfile& profile) {
  const std::string svc = api::effective_service_name(profile);
  const std::string& ns = profile.metadata.namespace_;
  std::vector<std::string> names = {svc, svc + "." + ns, svc + "." + ns + ".svc",
                                    svc + "." + ns + ".svc.cluster.local"};
  for (const auto& extra : profile.spec.sbi.tls.certificate.extra_dns_names) {
    if (std::find(names.begin(), names.end(), extra) == names.end()) names.push_back(extra);
  }
  // TS 33.501 13.1.1.0: a SEPP's certificate covers its telescopic FQDNs
  // (<label>.<sepp fqdn>, TS 23.003 28.5.2) with a wildcard.
  if (profile.spec.nf_type == api::NfType::SEPP) {
    const std::string telescopic = "*." + primary_dns_name(profile);
    if (std::find(names.begin(), names.end(), telescopic) == names.end()) {
      names.push_back(telescopic);
    }
  }
  return names;
}

std::string primary_dns_name(const api::SecurityProfile& profile) {
  for (const auto& extra : profile.spec.sbi.tls.certificate.extra_dns_names) {
    if (!extra.starts_with("*.")) return extra;
  }
  return service_dns_name(api::effective_service_name(profile), profile.metadata.namespace_);
}

std::string n32_trust_anchor_file(const api::N32Peer& peer) {
  return std::string(kN32TrustAnchorDir) + "/" + peer.name + "/" + peer.trust_anchor_ref.key;
}

std::string service_dns_name(std::string_view service, std::string_view namespace_) {
  return std::string(service) + "." + std::string(namespace_) + ".svc";
}

}  // namespace secprov::render
