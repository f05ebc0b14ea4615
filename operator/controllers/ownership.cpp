#include "controllers/ownership.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include "api/trustdomain.h"
#include "controllers/context.h"
#include "render/labels.h"
#include "render/trust_domain.h"
#include "runtime/object.h"

namespace secprov::controllers::trust {
namespace {

using Labels = std::map<std::string_view, std::optional<std::string>>;

// What makes an object the TrustDomain's, and what an earlier operator's object looked like.
struct Rule {
  Labels marks;  // Ours: these labels, and a controller ownerReference to the TrustDomain
  // Adoptable: written by the operator's field manager (with `adopt_operation`; empty: any),
  // no controller ownerReference (with `adopt_unowned`: no ownerReference at all), and:
  Labels adopt_labels;  // these labels (nullopt: the label is absent)
  std::optional<std::pair<std::string_view, std::string>> adopt_annotation{};
  std::string_view adopt_operation{};
  bool adopt_unowned = false;
};

bool carries(const nlohmann::json& object, const Labels& labels) {
  return std::ranges::all_of(labels, [&](const auto& wanted) {
    return runtime::label_of(object, wanted.first) == wanted.second;
  });
}

Ownership ownership(const nlohmann::json& object, const std::string& domain,
                    const std::string& domain_uid, const Rule& rule) {
  const auto references = runtime::owner_references_of(object);
  const auto controller = std::ranges::find_if(
      references, [](const runtime::OwnerReference& r) { return r.controller; });
  if (carries(object, rule.marks) && controller != references.end() &&
      is_trust_domain_reference(*controller) && controller->name == domain &&
      (domain_uid.empty() || controller->uid == domain_uid)) {
    return Ownership::Ours;
  }
  const bool adoptable_owners =
      rule.adopt_unowned ? references.empty() : controller == references.end();
  if (!adoptable_owners || !carries(object, rule.adopt_labels)) return Ownership::Foreign;
  if (rule.adopt_annotation && runtime::annotation_of(object, rule.adopt_annotation->first) !=
                                   rule.adopt_annotation->second) {
    return Ownership::Foreign;
  }
  const auto& metadata = object.value("metadata", nlohmann::json::object());
  for (const auto& entry : metadata.value("managedFields", nlohmann::json::array())) {
    if (entry.is_object() && entry.value("manager", std::string{}) == kFieldManager &&
        (rule.adopt_operation.empty() ||
         entry.value("operation", std::string{}) == rule.adopt_operation)) {
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
  const std::pair<std::string_view, std::optional<std::string>> managed{
      render::kManagedByLabel, std::string(render::kManagedByValue)};
  return ownership(
      config_map, domain, domain_uid,
      {.marks = {managed},
       .adopt_labels = {managed, {render::kTrustDomainLabel, render::label_value(domain)}},
       .adopt_operation = "Apply"});
}

Ownership crl_ownership(const nlohmann::json& config_map, const std::string& domain,
                        const std::string& domain_uid) {
  const Labels marks{{render::kPartOfLabel, std::string(render::kPartOfValue)},
                     {render::kComponentLabel, std::string(render::kCrlComponent)}};
  Labels adopt = marks;
  adopt.emplace(render::kTrustDomainLabel, render::label_value(domain));
  return ownership(config_map, domain, domain_uid, {.marks = marks, .adopt_labels = adopt});
}

Ownership next_ca_ownership(const nlohmann::json& secret, const std::string& domain,
                            const std::string& domain_uid, const std::string& token) {
  const std::pair<std::string_view, std::optional<std::string>> labelled{
      render::kTrustDomainLabel, render::label_value(domain)};
  const auto found = ownership(
      secret, domain, domain_uid,
      {.marks = {{render::kManagedByLabel, std::string(render::kManagedByValue)}, labelled},
       .adopt_labels = {{render::kManagedByLabel, std::nullopt}, labelled},
       .adopt_annotation = std::pair{api::kReplaceCaAnnotation, token},
       .adopt_unowned = true});
  // No rotation asked: nothing of an earlier version is taken over.
  return found == Ownership::Adoptable && token.empty() ? Ownership::Foreign : found;
}

}  // namespace secprov::controllers::trust
