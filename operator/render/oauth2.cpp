#include "render/oauth2.h"

#include <algorithm>
#include <stdexcept>

#include "crypto/encoding.h"
#include "render/detail/common.h"
#include "render/digest.h"
#include "render/labels.h"
#include "render/names.h"

namespace secprov::render {

std::string oauth2_signing_secret_name(const api::SecurityProfile& profile) {
  constexpr std::size_t kMaxObjectName = 253;  // DNS subdomain
  return detail::bounded_name(profile.metadata.name, "-oauth2-signing", kMaxObjectName);
}

bool is_authorization_server(const api::SecurityProfile& profile) {
  const auto& oauth2 = profile.spec.sbi.oauth2;
  return profile.spec.nf_type == api::NfType::NRF && oauth2 && oauth2->enabled &&
         oauth2->role != api::OAuth2Role::Consumer;
}

bool is_oauth2_producer(const api::SecurityProfile& profile) {
  const auto& oauth2 = profile.spec.sbi.oauth2;
  return profile.spec.nf_type != api::NfType::NRF && oauth2 && oauth2->enabled &&
         oauth2->role != api::OAuth2Role::Consumer;
}

std::optional<api::KeyAlgorithm> signing_key_algorithm(api::JwsAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case api::JwsAlgorithm::ES256:
      return api::KeyAlgorithm::EcdsaP256;
    case api::JwsAlgorithm::ES384:
      return api::KeyAlgorithm::EcdsaP384;
    case api::JwsAlgorithm::RS256:
    case api::JwsAlgorithm::RS384:
    case api::JwsAlgorithm::RS512:
    case api::JwsAlgorithm::PS256:
    case api::JwsAlgorithm::PS384:
    case api::JwsAlgorithm::PS512:
      return api::KeyAlgorithm::Rsa2048;
    case api::JwsAlgorithm::ES512:
    case api::JwsAlgorithm::EdDSA:
      return std::nullopt;
  }
  return std::nullopt;  // unreachable: the switch is exhaustive (-Wswitch)
}

std::optional<api::JwsAlgorithm> oauth2_signing_algorithm(const api::SecurityProfile& profile) {
  if (!is_authorization_server(profile)) return std::nullopt;
  for (const auto algorithm : profile.spec.sbi.oauth2->accepted_algorithms) {
    if (signing_key_algorithm(algorithm)) return algorithm;
  }
  return std::nullopt;
}

std::optional<CertificateRequest> oauth2_signing_request(const api::SecurityProfile& profile,
                                                         const api::TrustDomain& domain,
                                                         std::string_view nf_instance_id) {
  const auto algorithm = oauth2_signing_algorithm(profile);
  if (!algorithm) return std::nullopt;
  auto request = certificate_request(profile, domain, nf_instance_id);
  request.key_algorithm = key_algorithm(*signing_key_algorithm(*algorithm));
  request.certificate.server_auth = false;
  request.certificate.client_auth = false;
  request.certificate.oauth_access_token_signing = true;
  return request;
}

std::string oauth2_signing_input_digest(const CertificateRequest& request,
                                        api::JwsAlgorithm algorithm,
                                        const std::string& ca_fingerprint,
                                        const std::map<std::string, std::string>& labels) {
  const auto& c = request.certificate;
  return input_digest({{"purpose", "oauthAccessTokenSigning"},
                       {"algorithm", api::to_string(algorithm)},
                       {"duration", request.duration.count()},
                       {"dnsNames", c.dns_names},
                       {"uri", c.uris},
                       {"subject", {c.subject.country, c.subject.organization}},
                       {"ca", ca_fingerprint},
                       {"labels", labels}});
}

nlohmann::json oauth2_signing_secret(const api::SecurityProfile& profile,
                                     const std::string& certificate_chain_pem,
                                     const std::string& private_key_pem,
                                     const std::string& input_digest) {
  detail::require_identity(profile);
  if (certificate_chain_pem.empty() || private_key_pem.empty()) {
    throw std::invalid_argument(
        "oauth2_signing_secret: certificate chain and private key are required");
  }
  nlohmann::json data = {
      {std::string(kTlsCertificateKey), crypto::base64_encode(certificate_chain_pem)},
      {std::string(kTlsPrivateKeyKey), crypto::base64_encode(private_key_pem)},
  };
  return with_digests(
      detail::make_object("Secret", oauth2_signing_secret_name(profile),
                          profile.metadata.namespace_, managed_labels(profile),
                          owner_reference(profile), std::move(data), "kubernetes.io/tls"),
      input_digest);
}

void add_nrf_certificate(ProfilePlan& plan, const std::string& certificate_pem) {
  plan.config_map["data"][std::string(kNrfCertificateKey)] = certificate_pem;
  plan.config.input_digest =
      input_digest({{"config", plan.config.input_digest}, {"nrf", certificate_pem}});
  plan.config_map = with_digests(std::move(plan.config_map), plan.config.input_digest);
}

}  // namespace secprov::render
