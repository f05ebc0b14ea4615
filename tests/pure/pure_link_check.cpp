// Links only secprov_api, secprov_crypto and secprov_render (the library an offline
// `secprovctl render`, the webhooks and the checker build on) and renders one profile: the
// build proves the pure layers link without kube/, cpprestsdk, spdlog or prometheus, and
// the run that what they link works.
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/securityprofile.h"
#include "api/trustdomain.h"
#include "render/certificate.h"
#include "render/config.h"

namespace {

constexpr const char* kProfile = R"({
  "apiVersion": "secprov.io/v1alpha1", "kind": "SecurityProfile",
  "metadata": {"name": "amf", "namespace": "5gc", "uid": "0b7c1e2a-0000-4000-8000-000000000001"},
  "spec": {
    "nfType": "AMF",
    "nfInstanceId": "6F1E4C2A-8D3B-4A57-9C0E-2B7D5F1A9E31",
    "selector": {"matchLabels": {"app.kubernetes.io/name": "amf"}},
    "trustDomainRef": {"name": "mnc001-mcc001"},
    "sbi": {"tls": {"mode": "MutualTLS"}},
    "outputs": {"open5gs": true}
  }
})";

constexpr const char* kTrustDomain = R"({
  "apiVersion": "secprov.io/v1alpha1", "kind": "TrustDomain",
  "metadata": {"name": "mnc001-mcc001"},
  "spec": {"domain": "5gc.mnc001.mcc001.3gppnetwork.org", "country": "DE",
           "ca": {"generate": {}}}
})";

int fail(const char* what, const secprov::api::FieldErrors& errors) {
  std::cerr << what << ":";
  for (const auto& e : errors) std::cerr << " " << e.message() << ";";
  std::cerr << "\n";
  return 1;
}

}  // namespace

int main() {
  using namespace secprov;
  const auto profile = api::parse_security_profile(nlohmann::json::parse(kProfile));
  if (!profile.ok()) return fail("profile does not parse", profile.errors());
  if (const auto errors = api::validate(profile.value()); !errors.empty()) {
    return fail("profile is invalid", errors);
  }
  const auto domain = api::parse_trust_domain(nlohmann::json::parse(kTrustDomain));
  if (!domain.ok()) return fail("trust domain does not parse", domain.errors());

  const auto& spec = profile.value().spec;
  const std::string nf_instance_id = spec.nf_instance_id.value_or("");
  const auto config_map = render::security_config_map(profile.value(), nf_instance_id);
  std::cout << "configmap " << config_map["metadata"]["name"].get<std::string>() << "\n";
  for (const auto& [key, value] : config_map["data"].items()) std::cout << "key " << key << "\n";
  const auto request = render::certificate_request(profile.value(), domain.value(), nf_instance_id);
  for (const auto& uri : request.certificate.uris) std::cout << "uri " << uri << "\n";
  return 0;
}
