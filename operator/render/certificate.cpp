#include "render/certificate.h"

#include <algorithm>
#include <cctype>

#include "api/detail/syntax.h"
#include "render/names.h"

namespace secprov::render {
namespace {

constexpr std::size_t kMaxDnsName = 253;
constexpr std::size_t kMaxDnsLabel = 63;

// RFC 1123 host names, with one leading "*." wildcard label allowed (extra DNS names).
std::optional<std::string> dns_name_problem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > kMaxDnsName) return "is longer than 253 characters";
  std::string_view rest = name;
  if (rest.substr(0, 2) == "*.") rest.remove_prefix(2);
  std::size_t start = 0;
  while (start <= rest.size()) {
    const auto end = std::min(rest.find('.', start), rest.size());
    const auto label = rest.substr(start, end - start);
    if (label.empty()) return "has an empty label";
    if (label.size() > kMaxDnsLabel) return "has a label longer than 63 characters";
    const auto valid = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
    };
    if (!std::all_of(label.begin(), label.end(), valid) || label.front() == '-' ||
        label.back() == '-') {
      return "is not an RFC 1123 host name";
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::chrono::seconds required_duration(const std::optional<std::chrono::seconds>& value,
                                       const char* field) {
  if (!value || value->count() <= 0) throw RenderError(field, "not a positive duration");
  return *value;
}

}  // namespace

crypto::KeyAlgorithm key_algorithm(api::KeyAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case api::KeyAlgorithm::EcdsaP256:
      return crypto::KeyAlgorithm::EcdsaP256;
    case api::KeyAlgorithm::EcdsaP384:
      return crypto::KeyAlgorithm::EcdsaP384;
    case api::KeyAlgorithm::Rsa2048:
      return crypto::KeyAlgorithm::Rsa2048;
    case api::KeyAlgorithm::Rsa3072:
      return crypto::KeyAlgorithm::Rsa3072;
    case api::KeyAlgorithm::Rsa4096:
      return crypto::KeyAlgorithm::Rsa4096;
  }
  return crypto::KeyAlgorithm::EcdsaP256;  // unreachable: the switch is exhaustive (-Wswitch)
}

CertificateRequest certificate_request(const api::SecurityProfile& profile,
                                       const api::TrustDomain& domain,
                                       std::string_view nf_instance_id) {
  const auto& spec = profile.spec.sbi.tls.certificate;
  // The Service name heads every in-cluster SAN: it must be a DNS-1035 label (no dots).
  const std::string service = api::effective_service_name(profile);
  const char* service_field =
      spec.service_name ? "spec.sbi.tls.certificate.serviceName" : "metadata.name";
  if (service.size() > kMaxDnsLabel || !api::detail::is_dns1035_label(service)) {
    throw RenderError(service_field, "\"" + service +
                                         "\" is not a valid Service name (a DNS-1035 label: at "
                                         "most 63 lower-case letters, digits and '-', starting "
                                         "with a letter)");
  }
  const auto names = sbi_dns_names(profile);
  for (const auto& name : names) {
    if (const auto problem = dns_name_problem(name)) {
      const auto extra = std::find(spec.extra_dns_names.begin(), spec.extra_dns_names.end(), name);
      const std::string field = extra == spec.extra_dns_names.end()
                                    ? std::string(service_field)
                                    : "spec.sbi.tls.certificate.extraDnsNames[" +
                                          std::to_string(extra - spec.extra_dns_names.begin()) +
                                          "]";
      throw RenderError(field, "DNS name \"" + name + "\" " + *problem);
    }
  }
  CertificateRequest request{
      .key_algorithm = key_algorithm(spec.key_algorithm),
      .certificate = {},
      .duration = required_duration(api::certificate_duration(profile),
                                    "spec.sbi.tls.certificate.duration"),
      .renew_before = required_duration(api::certificate_renew_before(profile),
                                        "spec.sbi.tls.certificate.renewBefore"),
  };
  auto& c = request.certificate;
  c.subject = crypto::DistinguishedName{.country = domain.spec.country,
                                        .organization = api::effective_organization(domain),
                                        .organizational_unit = {},
                                        .common_name = {}};
  c.dns_names = names;
  c.uris = {nf_instance_uri(nf_instance_id)};
  c.server_auth = true;
  c.client_auth = true;
  c.nf_types = {std::string(api::to_string(profile.spec.nf_type))};
  return request;
}

void set_validity(crypto::CertificateTemplate& certificate, std::chrono::seconds duration,
                  std::chrono::system_clock::time_point now,
                  std::chrono::system_clock::time_point ca_not_after) {
  certificate.not_before = now - std::chrono::minutes(1);
  certificate.not_after = std::min(now + duration, ca_not_after);
}

}  // namespace secprov::render
