#include "controllers/trust_domain_controller.h"

#include <spdlog/spdlog.h>

#include "controllers/conditions.h"
#include "controllers/status_writer.h"
#include "crypto/encoding.h"
#include "crypto/errors.h"

namespace secprov::controllers {

TrustDomainReconciler::TrustDomainReconciler(Context context, std::shared_ptr<CaProvider> cas)
    : context_(std::move(context)), cas_(std::move(cas)) {}

void TrustDomainReconciler::generate_ca(const api::TrustDomain& domain,
                                        const nlohmann::json& object) {
  const auto algorithm = crypto::parse_key_algorithm(
      std::string(api::to_string(domain.spec.ca.generate->key_algorithm)));
  const auto validity = api::ca_duration(domain).value_or(std::chrono::hours(87600));
  const auto ca = crypto::CertificateAuthority::create_self_signed(
      algorithm.value_or(crypto::KeyAlgorithm::EcdsaP256),
      crypto::DistinguishedName{.country = domain.spec.country,
                                .organization = api::effective_organization(domain),
                                .organizational_unit = {},
                                .common_name = domain.spec.domain + " CA"},
      validity, context_.now());
  const nlohmann::json secret = {
      {"apiVersion", "v1"},
      {"kind", "Secret"},
      {"type", "kubernetes.io/tls"},
      {"metadata",
       {{"name", ca_secret_name(domain)},
        {"namespace", context_.operator_namespace},
        {"labels",
         {{"app.kubernetes.io/part-of", "secprov"},
          {"secprov.io/trust-domain", domain.metadata.name}}},
        {"annotations", {{"secprov.io/generated-for", domain.metadata.name}}}}},
      {"data",
       {{"tls.crt", crypto::base64_encode(ca.certificate().to_pem())},
        {"tls.key", crypto::base64_encode(ca.key().to_pkcs8_pem())}}}};
  // Create, never apply: a CA that exists (perhaps created by a previous run whose cache
  // is behind) must not be replaced.
  try {
    context_.client->create(kube::resources::secrets(), context_.operator_namespace, secret);
    context_.events->record(object, runtime::EventType::Normal, "CAGenerated",
                            "generated CA " + ca.certificate().sha256_fingerprint().substr(0, 16) +
                                " in Secret " + ca_secret_name(domain));
  } catch (const kube::ApiError& e) {
    if (!kube::is_already_exists(e)) throw;
  }
}

runtime::ReconcileResult TrustDomainReconciler::reconcile(const runtime::ObjectKey& key) {
  const auto object = context_.stores.trust_domains->get(key);
  if (!object) return runtime::ReconcileResult::Done();
  const auto parsed = api::parse_trust_domain(*object);
  if (!parsed) {
    spdlog::warn("TrustDomain {} is invalid: {}", key.to_string(),
                 parsed.errors().front().message());
    return runtime::ReconcileResult::Done();
  }
  const api::TrustDomain& domain = parsed.value();
  const auto now = context_.now();

  if (domain.spec.ca.generate && !context_.stores.operator_secrets->get(
                                     {context_.operator_namespace, ca_secret_name(domain)})) {
    generate_ca(domain, *object);
    // The new Secret arrives through the watch and enqueues this domain again.
    return runtime::ReconcileResult::RequeueAfter(std::chrono::seconds(5));
  }

  api::TrustDomainStatus status = domain.status;
  status.observed_generation = domain.metadata.generation;
  status.ca_secret_name = ca_secret_name(domain);
  const auto result = cas_->get(domain, now);
  const auto generation = domain.metadata.generation;
  if (result.ca) {
    const auto& certificate = result.ca->certificate();
    status.ca_fingerprint = certificate.sha256_fingerprint();
    status.ca_not_after = seconds_of(certificate.not_after());
    api::set_condition(status.conditions,
                       make_condition("Ready", true, generation, "CAReady",
                                      "CA " + status.ca_fingerprint.substr(0, 16) + " loaded"),
                       seconds_of(now));
    api::set_condition(status.conditions,
                       make_condition("Stalled", false, generation, "CAReady", ""),
                       seconds_of(now));
  } else {
    status.ca_fingerprint.clear();
    status.ca_not_after.reset();
    api::set_condition(
        status.conditions,
        make_condition("Ready", false, generation, result.error.reason, result.error.message),
        seconds_of(now));
    api::set_condition(
        status.conditions,
        make_condition("Stalled", true, generation, result.error.reason, result.error.message),
        seconds_of(now));
  }
  if (write_status_if_changed(*context_.client, kube::resources::trust_domains(), *object,
                              api::to_json(status)) &&
      !result.ca) {
    context_.events->record(*object, runtime::EventType::Warning, result.error.reason,
                            result.error.message);
  }
  return runtime::ReconcileResult::Done();
}

}  // namespace secprov::controllers
