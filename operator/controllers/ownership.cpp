#include "controllers/ownership.h"

#include <map>
#include <string_view>

#include "api/trustdomain.h"
#include "controllers/context.h"
#include "render/labels.h"
#include "render/trust_domain.h"
#include "runtime/object.h"

namespace secprov::controllers::trust {
namespace {

// `marks`: the labels that say "written by secprov" (required for Ours; the other labels are
// written back). Adoptable needs `marks` and `labels` and no controller at all;
// `adopt_operation` empty: any write by the operator's field manager.
Ownership ownership(const nlohmann::json& object, const std::string& domain,
                    const std::string& domain_uid,
                    const std::map<std::string_view, std::string>& marks,
                    const std::map<std::string_view, std::string>& labels,
                    std::string_view adopt_operation) {
  const auto carries = [&](const std::map<std::string_view, std::string>& wanted) {
    for (const auto& [label, value] : wanted) {
      if (runtime::label_of(object, label) != value) return false;
    }
    return true;
  };
  if (!carries(marks)) return Ownership::Foreign;
  bool has_controller = false;
  for (const auto& reference : runtime::owner_references_of(object)) {
    if (!reference.controller) continue;
    has_controller = true;
    if (is_trust_domain_reference(reference) && reference.name == domain &&
        (domain_uid.empty() || reference.uid == domain_uid)) {
      return Ownership::Ours;
    }
  }
  if (has_controller || !carries(labels)) return Ownership::Foreign;
  const auto& metadata = object.value("metadata", nlohmann::json::object());
  for (const auto& entry : metadata.value("managedFields", nlohmann::json::array())) {
    if (entry.value("manager", std::string{}) == kFieldManager &&
        (adopt_operation.empty() || entry.value("operation", std::string{}) == adopt_operation)) {
      return Ownership::Adoptable;
    }
  }
  return Ownership::Foreign;
}

}  // namespace

bool is_trust_domain_reference(const runtime::OwnerReference& reference) {
  return reference.kind == api::kTrustDomainKind &&
         runtime::api_group_of(reference.api_version) == api::kGroup;
}

Ownership bundle_ownership(const nlohmann::json& config_map, const std::string& domain,
                           const std::string& domain_uid) {
  return ownership(config_map, domain, domain_uid,
                   {{render::kManagedByLabel, std::string(render::kManagedByValue)}},
                   {{render::kTrustDomainLabel, render::label_value(domain)}}, "Apply");
}

Ownership crl_ownership(const nlohmann::json& config_map, const std::string& domain,
                        const std::string& domain_uid) {
  return ownership(config_map, domain, domain_uid,
                   {{render::kPartOfLabel, std::string(render::kPartOfValue)},
                    {render::kComponentLabel, std::string(render::kCrlComponent)}},
                   {{render::kTrustDomainLabel, render::label_value(domain)}}, "");
}

}  // namespace secprov::controllers::trust
