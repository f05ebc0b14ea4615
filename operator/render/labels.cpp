#include "render/labels.h"

#include <stdexcept>

#include "render/detail/common.h"

namespace secprov::render {

namespace {
constexpr std::size_t kMaxLabelValue = 63;
}  // namespace

std::string label_value(std::string_view name) {
  return detail::bounded_name(name, "", kMaxLabelValue);
}

std::map<std::string, std::string> managed_labels(const api::SecurityProfile& profile) {
  auto labels = trust_domain_labels(profile.spec.trust_domain_ref.name);
  labels.emplace(kProfileLabel, label_value(profile.metadata.name));
  return labels;
}

std::map<std::string, std::string> trust_domain_labels(std::string_view trust_domain) {
  return {
      {std::string(kManagedByLabel), std::string(kManagedByValue)},
      {std::string(kPartOfLabel), std::string(kPartOfValue)},
      {std::string(kTrustDomainLabel), label_value(trust_domain)},
  };
}

std::string profile_selector(std::string_view profile_name) {
  return std::string(kManagedSelector) + "," + std::string(kProfileLabel) + "=" +
         label_value(profile_name);
}

nlohmann::json owner_reference(const api::SecurityProfile& profile) {
  if (profile.metadata.name.empty() || profile.metadata.uid.empty()) {
    throw std::invalid_argument("owner_reference: profile needs metadata.name and metadata.uid");
  }
  return {
      {"apiVersion", api::kApiVersion},
      {"kind", api::kSecurityProfileKind},
      {"name", profile.metadata.name},
      {"uid", profile.metadata.uid},
      {"controller", true},
      {"blockOwnerDeletion", true},
  };
}

}  // namespace secprov::render
