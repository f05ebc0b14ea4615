#include "render/trust_domain.h"

#include "crypto/encoding.h"
#include "render/certificate.h"
#include "render/detail/common.h"
#include "render/errors.h"
#include "render/labels.h"
#include "render/names.h"

namespace secprov::render {

namespace {
constexpr std::size_t kMaxObjectName = 253;  // DNS subdomain
// X.509 upper bounds (RFC 5280 ub-common-name, ub-organization-name): OpenSSL refuses to
// encode longer values, so a longer one would fail every attempt to generate the CA.
constexpr std::size_t kMaxCommonName = 64;
constexpr std::size_t kMaxOrganization = 64;
}  // namespace

std::string ca_secret_name(const api::TrustDomain& domain) {
  if (domain.spec.ca.secret_ref) return domain.spec.ca.secret_ref->name;
  return detail::bounded_name(domain.metadata.name, "-ca-keypair", kMaxObjectName);
}

std::string ca_secret_selector() {
  return std::string(kTrustDomainLabel) + "," + std::string(kManagedByLabel) +
         "!=" + std::string(kManagedByValue);
}

crypto::DistinguishedName ca_subject(const api::TrustDomain& domain) {
  return {.country = domain.spec.country,
          .organization = api::effective_organization(domain),
          .organizational_unit = {},
          .common_name = detail::bounded_name(domain.spec.domain, " CA", kMaxCommonName)};
}

CaRequest ca_request(const api::TrustDomain& domain) {
  if (!domain.spec.ca.generate) {
    throw RenderError("spec.ca.generate", "the trust domain imports its CA (spec.ca.secretRef)");
  }
  const auto validity = api::ca_duration(domain);
  if (!validity) {
    throw RenderError("spec.ca.generate.duration",
                      "\"" + domain.spec.ca.generate->duration + "\" is not a duration");
  }
  auto subject = ca_subject(domain);
  if (subject.organization.size() > kMaxOrganization) {
    throw RenderError("spec.organization",
                      "required when spec.domain is longer than " +
                          std::to_string(kMaxOrganization) +
                          " characters: the CA's organization defaults to spec.domain and holds "
                          "at most " +
                          std::to_string(kMaxOrganization));
  }
  return {.key_algorithm = key_algorithm(domain.spec.ca.generate->key_algorithm),
          .subject = std::move(subject),
          .validity = *validity};
}

nlohmann::json ca_key_pair_secret(const api::TrustDomain& domain,
                                  std::string_view operator_namespace, const CaMaterial& material,
                                  const std::optional<std::string>& replace_token,
                                  const nlohmann::json* existing_metadata) {
  nlohmann::json metadata = existing_metadata != nullptr && existing_metadata->is_object()
                                ? *existing_metadata
                                : nlohmann::json::object();
  metadata.erase("managedFields");
  metadata["name"] = ca_secret_name(domain);
  metadata["namespace"] = operator_namespace;
  metadata["labels"][std::string(kPartOfLabel)] = kPartOfValue;
  metadata["labels"][std::string(kTrustDomainLabel)] = label_value(domain.metadata.name);
  metadata["annotations"][std::string(kGeneratedForAnnotation)] = domain.metadata.name;
  // Which replace-ca request this CA answers (for people; the status records it for the
  // operator).
  if (replace_token) {
    metadata["annotations"][std::string(api::kReplaceCaAnnotation)] = *replace_token;
  }
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"type", "kubernetes.io/tls"},
          {"metadata", std::move(metadata)},
          {"data",
           {{std::string(kTlsCertificateKey), crypto::base64_encode(material.certificate_pem)},
            {std::string(kTlsPrivateKeyKey), crypto::base64_encode(material.private_key_pem)}}}};
}

}  // namespace secprov::render
