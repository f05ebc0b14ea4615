#include "render/labels.h"

#include <algorithm>
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

void mark_revocable(nlohmann::json& secret, std::string_view trust_domain) {
  auto& metadata = secret["metadata"];
  metadata["annotations"][std::string(kIssuerAnnotation)] = std::string(trust_domain);
  auto& finalizers = metadata["finalizers"];
  if (!finalizers.is_array()) finalizers = nlohmann::json::array();
  const nlohmann::json ours = std::string(kRevocationFinalizer);
  if (std::find(finalizers.begin(), finalizers.end(), ours) == finalizers.end()) {
    finalizers.push_back(ours);
  }
}

namespace {

nlohmann::json controller_reference(std::string_view kind, const std::string& name,
                                    const std::string& uid) {
  if (name.empty() || uid.empty()) {
    throw std::invalid_argument("owner_reference: the owner needs metadata.name and metadata.uid");
  }
  return {
      {"apiVersion", api::kApiVersion},
      {"kind", kind},
      {"name", name},
      {"uid", uid},
      {"controller", true},
      {"blockOwnerDeletion", true},
  };
}

}  // namespace

nlohmann::json owner_reference(const api::SecurityProfile& profile) {
  return controller_reference(api::kSecurityProfileKind, profile.metadata.name,
                              profile.metadata.uid);
}

nlohmann::json trust_domain_owner_reference(const std::string& domain, const std::string& uid) {
  return controller_reference(api::kTrustDomainKind, domain, uid);
}

}  // namespace secprov::render
