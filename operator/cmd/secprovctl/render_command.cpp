#include "cmd/secprovctl/render_command.h"

#include "crypto/certificate.h"
#include "render/n32.h"
#include "render/oauth2.h"
#include "render/profile.h"
#include "yaml/yaml.h"

namespace secprov::ctl {
namespace {

// Material the skeletons are built with and then emptied: never printed.
constexpr std::string_view kPlaceholderMaterial = "-----BEGIN PLACEHOLDER-----";

std::string ca_fingerprint(const RenderInputs& inputs) {
  if (!inputs.trust_bundle_pem.empty()) {
    const auto chain = crypto::Certificate::parse_chain(inputs.trust_bundle_pem);
    if (!chain.empty()) return chain.front().sha256_fingerprint();
  }
  if (inputs.trust_domain) return inputs.trust_domain->status.ca_fingerprint;
  return {};
}

}  // namespace

nlohmann::json secret_skeleton(nlohmann::json secret) {
  for (const auto* field : {"data", "stringData"}) {
    if (!secret.contains(field) || !secret[field].is_object()) continue;
    for (auto& [key, value] : secret[field].items()) value = "";
  }
  return secret;
}

Rendered render_profile(const api::SecurityProfile& input, const RenderInputs& inputs) {
  Rendered out;
  auto profile = input;
  if (profile.metadata.uid.empty()) {
    profile.metadata.uid = kUidPlaceholder;
    out.notes.push_back("metadata.uid: not set; ownerReferences carry " +
                        std::string(kUidPlaceholder) + " (the API server assigns it)");
  }
  std::string nf_instance_id;
  if (const auto id = api::effective_nf_instance_id(profile)) {
    nf_instance_id = *id;
  } else if (!inputs.nf_instance_id.empty()) {
    nf_instance_id = inputs.nf_instance_id;
  } else if (!profile.status.nf_instance_id.value_or("").empty()) {
    nf_instance_id = *profile.status.nf_instance_id;
  } else {
    nf_instance_id = kNfInstanceIdPlaceholder;
    out.notes.push_back("spec.nfInstanceId: not set; rendered with " +
                        std::string(kNfInstanceIdPlaceholder) +
                        " (the operator generates one; pass --nf-instance-id)");
  }
  api::TrustDomain domain;
  if (inputs.trust_domain) {
    domain = *inputs.trust_domain;
  } else {
    domain.metadata.name = profile.spec.trust_domain_ref.name;
  }
  const std::string bundle =
      inputs.trust_bundle_pem.empty() ? std::string(kPlaceholderMaterial) : inputs.trust_bundle_pem;
  auto plan = render::plan_profile(profile, domain, nf_instance_id,
                                   render::IssuerInputs{ca_fingerprint(inputs), bundle});
  if (render::is_oauth2_producer(profile)) {
    if (!inputs.nrf_certificate_pem.empty()) {
      render::add_nrf_certificate(plan, inputs.nrf_certificate_pem);
    } else {
      out.notes.push_back(std::string(render::kNrfCertificateKey) +
                          ": not rendered; the operator copies the NRF's access-token signing "
                          "certificate there (pass --nrf-certificate)");
    }
  }
  const std::string material(kPlaceholderMaterial);
  out.objects.push_back(plan.config_map);
  if (plan.tls.wanted) out.objects.push_back(secret_skeleton(plan.tls_secret(material, material)));
  if (plan.ipsec.wanted) {
    render::IpsecMaterial psks;
    for (const auto& name : plan.pre_shared_keys) psks.pre_shared_keys[name] = material;
    out.objects.push_back(secret_skeleton(plan.ipsec_secret(psks)));
  }
  if (const auto request = render::oauth2_signing_request(profile, domain, plan.nf_instance_id)) {
    const auto digest = render::oauth2_signing_input_digest(
        *request, *render::oauth2_signing_algorithm(profile), ca_fingerprint(inputs), plan.labels);
    out.objects.push_back(
        secret_skeleton(render::oauth2_signing_secret(profile, material, material, digest)));
  }
  if (const auto interconnect = render::n32_trust_domain(profile)) {
    // Issued by the interconnect domain, whose CA is not an input here: the digest
    // annotation is rendered without its fingerprint.
    api::TrustDomain n32_domain;
    n32_domain.metadata.name = *interconnect;
    const auto request = render::n32_certificate_request(profile, n32_domain, plan.nf_instance_id);
    const auto digest = request ? render::n32_input_digest(*request, {}, plan.labels) : material;
    out.objects.push_back(
        secret_skeleton(render::n32_secret(profile, material, material, material, digest)));
  }
  return out;
}

std::string objects_to_yaml(const std::vector<nlohmann::json>& objects) {
  std::string out;
  for (const auto& object : objects) out += "---\n" + yaml::to_yaml(object);
  return out;
}

nlohmann::json objects_to_list(const std::vector<nlohmann::json>& objects) {
  return {{"apiVersion", "v1"}, {"kind", "List"}, {"items", objects}};
}

}  // namespace secprov::ctl
