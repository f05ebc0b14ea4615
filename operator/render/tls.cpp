#include "render/tls.h"

#include <stdexcept>

#include "crypto/encoding.h"
#include "render/detail/common.h"
#include "render/labels.h"
#include "render/names.h"
#include "render/trust_domain.h"

namespace secprov::render {

bool needs_certificate(const api::SecurityProfile& profile) {
  if (profile.spec.sbi.tls.mode != api::TlsMode::Disabled) return true;
  if (!profile.spec.ipsec) return false;
  for (const auto& i : profile.spec.ipsec->interfaces) {
    if (i.authentication == api::IpsecAuthentication::Certificate) return true;
  }
  return false;
}

nlohmann::json tls_secret(const api::SecurityProfile& profile, const TlsMaterial& material) {
  detail::require_identity(profile);
  if (material.certificate_chain_pem.empty() || material.private_key_pem.empty()) {
    throw std::invalid_argument("tls_secret: certificate chain and private key are required");
  }
  nlohmann::json data = {
      {std::string(kTlsCertificateKey), crypto::base64_encode(material.certificate_chain_pem)},
      {std::string(kTlsPrivateKeyKey), crypto::base64_encode(material.private_key_pem)},
      {std::string(kCaBundleKey), crypto::base64_encode(material.ca_bundle_pem)},
  };
  auto secret = detail::make_object("Secret", tls_secret_name(profile), profile.metadata.namespace_,
                                    managed_labels(profile), owner_reference(profile),
                                    std::move(data), "kubernetes.io/tls");
  mark_revocable(secret, profile.spec.trust_domain_ref.name);
  return secret;
}

nlohmann::json trust_bundle_config_map(std::string_view trust_domain, std::string_view ns,
                                       const std::string& ca_bundle_pem,
                                       const nlohmann::json& owner, const std::string& crl_pem) {
  if (trust_domain.empty() || ns.empty()) {
    throw std::invalid_argument("trust_bundle_config_map: trust domain and namespace are required");
  }
  nlohmann::json data = {{std::string(kCaBundleKey), ca_bundle_pem}};
  if (!crl_pem.empty()) data[std::string(kCrlKey)] = crl_pem;
  return detail::make_object("ConfigMap", trust_bundle_name(trust_domain), ns,
                             trust_domain_labels(trust_domain), owner, std::move(data));
}

}  // namespace secprov::render
