#include "render/profile.h"

#include <stdexcept>

#include "render/config.h"
#include "render/digest.h"
#include "render/labels.h"
#include "render/names.h"
#include "render/tls.h"

namespace secprov::render {
namespace {

// The certificate's inputs: everything that, changed, needs a new certificate. The trust
// bundle is not one of them: ca.crt follows it without a new key.
std::string certificate_input_digest(const api::SecurityProfile& profile,
                                     const CertificateRequest& request,
                                     const std::string& ca_fingerprint,
                                     const std::map<std::string, std::string>& labels) {
  const auto& c = request.certificate;
  return input_digest(
      {{"keyAlgorithm", api::to_string(profile.spec.sbi.tls.certificate.key_algorithm)},
       {"duration", profile.spec.sbi.tls.certificate.duration},
       {"dnsNames", c.dns_names},
       {"uri", c.uris},
       {"subject", {c.subject.country, c.subject.organization}},
       {"ca", ca_fingerprint},
       {"nfType", c.nf_types},
       {"labels", labels}});
}

// swanctl.conf's inputs are the spec and the PSK names, not values; the PSKs are derived
// from the CA key, so with PSKs the CA is an input too (a rotation rewrites them).
std::string ipsec_input_digest(const api::SecurityProfile& profile,
                               const std::vector<std::string>& pre_shared_keys,
                               const std::map<std::string, std::string>& labels,
                               const std::string& ca_fingerprint) {
  IpsecMaterial placeholders;
  for (const auto& psk : pre_shared_keys) placeholders.pre_shared_keys[psk] = "<" + psk + ">";
  nlohmann::json inputs = {{"swanctl", swanctl_conf(profile, placeholders)}, {"labels", labels}};
  if (!pre_shared_keys.empty()) inputs["ca"] = ca_fingerprint;
  return input_digest(inputs);
}

}  // namespace

ProfilePlan plan_profile(const api::SecurityProfile& profile, const api::TrustDomain& domain,
                         std::string_view nf_instance_id, const IssuerInputs& issuer) {
  ProfilePlan plan;
  plan.profile = profile;
  plan.nf_instance_id = normalized_nf_instance_id(nf_instance_id);
  plan.labels = managed_labels(profile);
  plan.trust_bundle_pem = issuer.trust_bundle_pem;

  plan.tls = {"Secret", tls_secret_name(profile), needs_certificate(profile), {}};
  if (plan.tls.wanted) {
    plan.certificate = certificate_request(profile, domain, plan.nf_instance_id);
    plan.tls.input_digest =
        certificate_input_digest(profile, *plan.certificate, issuer.ca_fingerprint, plan.labels);
  }

  const auto config_map = security_config_map(profile, plan.nf_instance_id);
  plan.config = {"ConfigMap", config_map_name(profile), true, input_digest(config_map)};
  plan.config_map = with_digests(config_map, plan.config.input_digest);

  const bool ipsec = profile.spec.ipsec && !profile.spec.ipsec->interfaces.empty();
  plan.ipsec = {"Secret", ipsec_secret_name(profile), ipsec, {}};
  if (ipsec) {
    plan.pre_shared_keys = required_pre_shared_keys(profile);
    plan.ipsec.input_digest =
        ipsec_input_digest(profile, plan.pre_shared_keys, plan.labels, issuer.ca_fingerprint);
  }
  return plan;
}

nlohmann::json ProfilePlan::tls_secret(const std::string& certificate_chain_pem,
                                       const std::string& private_key_pem) const {
  if (!certificate) throw std::logic_error("ProfilePlan::tls_secret: no certificate planned");
  return with_digests(render::tls_secret(profile, TlsMaterial{certificate_chain_pem,
                                                              private_key_pem, trust_bundle_pem}),
                      tls.input_digest);
}

nlohmann::json ProfilePlan::ipsec_secret(const IpsecMaterial& material) const {
  if (!ipsec.wanted) throw std::logic_error("ProfilePlan::ipsec_secret: no IPsec planned");
  auto secret = with_digests(*render::ipsec_secret(profile, material), ipsec.input_digest);
  secret["metadata"]["annotations"][std::string(kIpsecAppliedSpecAnnotation)] =
      api::to_json(profile.spec).value("ipsec", nlohmann::json{}).dump();
  return secret;
}

}  // namespace secprov::render
