#include "render/n32.h"

#include <stdexcept>

#include "crypto/encoding.h"
#include "crypto/key.h"
#include "render/detail/common.h"
#include "render/digest.h"
#include "render/labels.h"
#include "render/names.h"

namespace secprov::render {

std::string n32_secret_name(const api::SecurityProfile& profile) {
  constexpr std::size_t kMaxObjectName = 253;  // DNS subdomain
  return detail::bounded_name(profile.metadata.name, "-n32", kMaxObjectName);
}

std::optional<std::string> n32_trust_domain(const api::SecurityProfile& profile) {
  if (profile.spec.nf_type != api::NfType::SEPP || !profile.spec.n32 ||
      !profile.spec.n32->trust_domain_ref) {
    return std::nullopt;
  }
  return profile.spec.n32->trust_domain_ref->name;
}

std::vector<std::string> n32_dns_names(const api::SecurityProfile& profile) {
  const auto primary = primary_dns_name(profile);
  return {primary, "*." + primary};
}

std::optional<CertificateRequest> n32_certificate_request(const api::SecurityProfile& profile,
                                                          const api::TrustDomain& interconnect,
                                                          std::string_view nf_instance_id) {
  if (!n32_trust_domain(profile)) return std::nullopt;
  // The SBI request validates every name (the N32 ones are among them) and the durations.
  auto request = certificate_request(profile, interconnect, nf_instance_id);
  request.certificate.dns_names = n32_dns_names(profile);
  return request;
}

std::string n32_input_digest(const CertificateRequest& request, const std::string& ca_fingerprint,
                             const std::map<std::string, std::string>& labels) {
  const auto& c = request.certificate;
  return input_digest({{"purpose", "n32"},
                       {"keyAlgorithm", crypto::to_string(request.key_algorithm)},
                       {"duration", request.duration.count()},
                       {"dnsNames", c.dns_names},
                       {"uri", c.uris},
                       {"subject", {c.subject.country, c.subject.organization}},
                       {"ca", ca_fingerprint},
                       {"labels", labels}});
}

nlohmann::json n32_secret(const api::SecurityProfile& profile,
                          const std::string& certificate_chain_pem,
                          const std::string& private_key_pem, const std::string& ca_bundle_pem,
                          const std::string& input_digest) {
  detail::require_identity(profile);
  if (certificate_chain_pem.empty() || private_key_pem.empty() || ca_bundle_pem.empty()) {
    throw std::invalid_argument(
        "n32_secret: certificate chain, private key and CA bundle are required");
  }
  nlohmann::json data = {
      {std::string(kTlsCertificateKey), crypto::base64_encode(certificate_chain_pem)},
      {std::string(kTlsPrivateKeyKey), crypto::base64_encode(private_key_pem)},
      {std::string(kCaBundleKey), crypto::base64_encode(ca_bundle_pem)},
  };
  auto secret = detail::make_object("Secret", n32_secret_name(profile), profile.metadata.namespace_,
                                    managed_labels(profile), owner_reference(profile),
                                    std::move(data), "kubernetes.io/tls");
  mark_revocable(secret, n32_trust_domain(profile).value_or(""));
  return with_digests(std::move(secret), input_digest);
}

}  // namespace secprov::render
