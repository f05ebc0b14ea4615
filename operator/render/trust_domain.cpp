#include "render/trust_domain.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "api/time.h"
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
  return std::string(kTrustDomainLabel) + ",!" + std::string(kProfileLabel);
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

std::string crl_config_map_name(std::string_view trust_domain) {
  return detail::bounded_name(trust_domain, "-crl", kMaxObjectName);
}

crypto::CrlRequest crl_request(const std::vector<Revocation>& revocations,
                               std::chrono::system_clock::time_point now, std::uint64_t number) {
  std::map<std::string, std::chrono::system_clock::time_point> first_revoked;
  for (const auto& revocation : revocations) {
    if (revocation.not_after <= now) continue;
    auto [at, inserted] = first_revoked.emplace(revocation.serial_hex, revocation.revoked_at);
    if (!inserted) at->second = std::min(at->second, revocation.revoked_at);
  }
  crypto::CrlRequest request;
  for (const auto& [serial, revoked_at] : first_revoked)
    request.revoked.push_back({serial, revoked_at});
  std::stable_sort(request.revoked.begin(), request.revoked.end(),
                   [](const auto& a, const auto& b) { return a.revoked_at < b.revoked_at; });
  request.this_update = now;
  request.next_update = now + kCrlValidity;
  request.number = number;
  return request;
}

std::chrono::system_clock::time_point crl_refresh_at(
    std::chrono::system_clock::time_point next_update) {
  return next_update - kCrlRefreshBefore;
}

bool crl_refresh_due(std::optional<std::chrono::system_clock::time_point> next_update,
                     std::chrono::system_clock::time_point now) {
  return !next_update || now >= crl_refresh_at(*next_update);
}

std::string crl_config_map_selector() {
  return std::string(kComponentLabel) + "=" + std::string(kCrlComponent) + "," +
         std::string(kTrustDomainLabel);
}

nlohmann::json crl_config_map(const api::TrustDomain& domain, std::string_view operator_namespace,
                              const std::string& crl_pem,
                              const std::vector<Revocation>& revocations,
                              const nlohmann::json& owner) {
  nlohmann::json metadata = {
      {"name", crl_config_map_name(domain.metadata.name)},
      {"namespace", operator_namespace},
      {"labels",
       {{std::string(kPartOfLabel), kPartOfValue},
        {std::string(kComponentLabel), kCrlComponent},
        {std::string(kTrustDomainLabel), label_value(domain.metadata.name)}}}};
  if (owner.is_object()) metadata["ownerReferences"] = nlohmann::json::array({owner});
  nlohmann::json data = {{std::string(kCrlKey), crl_pem}};
  if (!revocations.empty()) {
    // Expired entries were dropped by the caller's now; keep all it gave.
    data[std::string(kRevocationsKey)] =
        revocations_value(revocations, std::chrono::system_clock::time_point::min());
  }
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", metadata}, {"data", data}};
}

std::vector<Revocation> recorded_revocations(const nlohmann::json& config_map) {
  std::vector<Revocation> result;
  if (!config_map.is_object()) return result;
  const auto data = config_map.value("data", nlohmann::json::object());
  if (!data.is_object()) return result;
  const auto text = data.value(std::string(kRevocationsKey), std::string{});
  if (text.empty()) return result;
  const auto entries = nlohmann::json::parse(text, nullptr, false);
  if (!entries.is_array()) return result;
  for (const auto& entry : entries) {
    if (!entry.is_object()) continue;
    const auto serial = entry.value("serial", std::string{});
    const auto revoked_at = api::parse_rfc3339(entry.value("revokedAt", std::string{}));
    const auto not_after = api::parse_rfc3339(entry.value("notAfter", std::string{}));
    const bool hex = !serial.empty() && std::all_of(serial.begin(), serial.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) != 0;
    });
    if (!hex || !revoked_at || !not_after) continue;
    result.push_back({serial, *revoked_at, *not_after});
  }
  return result;
}

std::string revocations_value(const std::vector<Revocation>& revocations,
                              std::chrono::system_clock::time_point now) {
  std::map<std::string, const Revocation*> by_serial;
  for (const auto& revocation : revocations) {
    if (revocation.not_after <= now) continue;
    auto [at, inserted] = by_serial.emplace(revocation.serial_hex, &revocation);
    if (!inserted && revocation.revoked_at < at->second->revoked_at) at->second = &revocation;
  }
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& [serial, revocation] : by_serial) {
    using std::chrono::floor;
    using std::chrono::seconds;
    entries.push_back({{"serial", serial},
                       {"revokedAt", api::format_rfc3339(floor<seconds>(revocation->revoked_at))},
                       {"notAfter", api::format_rfc3339(floor<seconds>(revocation->not_after))}});
  }
  return entries.dump();
}

std::optional<std::string> crl_distribution_point(std::string_view base_url,
                                                  std::string_view trust_domain) {
  if (base_url.empty()) return std::nullopt;
  if (base_url.back() == '/') base_url.remove_suffix(1);
  return std::string(base_url) + "/crl/" + std::string(trust_domain) + ".crl";
}

}  // namespace secprov::render
