#include "controllers/mappers.h"

#include <algorithm>
#include <utility>

#include "api/text.h"
#include "controllers/ca_provider.h"
#include "controllers/observed.h"
#include "controllers/policies.h"
#include "controllers/trust_bundle_controller.h"
#include "render/injection.h"
#include "render/labels.h"
#include "render/n32.h"
#include "render/names.h"
#include "render/oauth2.h"
#include "runtime/finalizer.h"
#include "runtime/object.h"

namespace secprov::controllers {
namespace {

using runtime::Json;
using runtime::ObjectKey;

std::string name_of(const Json& object) {
  return runtime::string_at(object, {"metadata", "name"});
}

template <class T>
std::optional<T> ok_or_nullopt(api::Result<T> result) {
  if (!result) return std::nullopt;
  return std::move(result).value();
}

// "<ns>/<id>" with the ID in lower case (as the certificate and status carry it).
std::string nrf_key(std::string_view ns, std::string_view nf_instance_id) {
  return std::string(ns) + "/" + render::normalized_nf_instance_id(nf_instance_id);
}

}  // namespace

namespace index {
std::string namespace_trust_domain(std::string_view ns, std::string_view domain) {
  return std::string(ns) + "/" + std::string(domain);
}
}  // namespace index

std::shared_ptr<ProfileStore> make_profile_store() {
  // Every profile's conditions say much the same (the Enforced message alone runs to hundreds
  // of bytes), and its objects are of the same two kinds: the cache holds each text once.
  auto messages = std::make_shared<api::TextPool>();
  auto store = std::make_shared<ProfileStore>([messages](const Json& object) {
    // A cached profile without its status: only admit() parses the whole one.
    if (is_stripped_profile(object)) return std::optional<api::SecurityProfile>{};
    auto profile = ok_or_nullopt(api::parse_security_profile(object));
    if (profile) {
      auto& conditions = profile->status.conditions;
      for (auto& condition : conditions) {
        condition.type = messages->intern(condition.type);
        condition.reason = messages->intern(condition.reason);
        condition.message = messages->intern(condition.message);
      }
      conditions.shrink_to_fit();
      for (auto& generated : profile->status.objects) {
        generated.kind = messages->intern(generated.kind);
      }
    }
    return profile;
  });
  using Values = std::vector<std::string>;
  // Both trust domains a profile uses: spec.trustDomainRef and, for a SEPP, the interconnect
  // one (spec.n32.trustDomainRef): either one's events requeue it and publish its bundle.
  store->add_index(std::string(index::kProfileTrustDomain), [](const api::SecurityProfile& p) {
    Values domains{p.spec.trust_domain_ref.name};
    if (auto n32 = render::n32_trust_domain(p)) domains.push_back(std::move(*n32));
    return domains;
  });
  store->add_index(std::string(index::kProfileNamespace),
                   [](const api::SecurityProfile& p) { return Values{p.metadata.namespace_}; });
  store->add_index(
      std::string(index::kProfileNamespaceTrustDomain), [](const api::SecurityProfile& p) {
        Values keys{
            index::namespace_trust_domain(p.metadata.namespace_, p.spec.trust_domain_ref.name)};
        if (const auto n32 = render::n32_trust_domain(p)) {
          keys.push_back(index::namespace_trust_domain(p.metadata.namespace_, *n32));
        }
        return keys;
      });
  store->add_index(std::string(index::kProfileIpsecPeerAddress), [](const api::SecurityProfile& p) {
    Values addresses;
    if (!p.spec.ipsec) return addresses;
    for (const auto& interface : p.spec.ipsec->interfaces) {
      for (const auto& peer : interface.peers) addresses.push_back(peer.address);
    }
    return addresses;
  });
  store->add_index(std::string(index::kProfileOAuth2Nrf), [](const api::SecurityProfile& p) {
    if (!render::is_oauth2_producer(p) || !p.spec.sbi.oauth2->nrf_instance_id) return Values{};
    return Values{nrf_key(p.metadata.namespace_, *p.spec.sbi.oauth2->nrf_instance_id)};
  });
  store->add_index(std::string(index::kProfileAuthorizationServer),
                   [](const api::SecurityProfile& p) {
                     const auto id = api::effective_nf_instance_id(p);
                     if (!render::is_authorization_server(p) || !id) return Values{};
                     return Values{nrf_key(p.metadata.namespace_, *id)};
                   });
  return store;
}

std::shared_ptr<TrustDomainStore> make_trust_domain_store() {
  auto store = std::make_shared<TrustDomainStore>(
      [](const Json& object) { return ok_or_nullopt(api::parse_trust_domain(object)); });
  using Values = std::vector<std::string>;
  store->add_index(std::string(index::kTrustDomainCaSecret),
                   [](const api::TrustDomain& d) { return Values{ca_secret_name(d)}; });
  store->add_index(std::string(index::kTrustDomainLabelValue), [](const api::TrustDomain& d) {
    return Values{render::label_value(d.metadata.name)};
  });
  return store;
}

std::vector<ObjectKey> profiles_of_trust_domain(const ProfileStore& profiles, const Json& domain) {
  return profiles.keys_by_index(index::kProfileTrustDomain, name_of(domain));
}

namespace {

// The TrustDomain as its profiles see it: without the rotation's progress report.
Json without_rotation_progress(const Json& domain) {
  Json out = domain;
  if (const auto metadata = out.find("metadata"); metadata != out.end() && metadata->is_object()) {
    metadata->erase("resourceVersion");
    metadata->erase("managedFields");
  }
  const auto status = out.find("status");
  if (status == out.end() || !status->is_object()) return out;
  if (const auto rotation = status->find("rotation");
      rotation != status->end() && rotation->is_object()) {
    rotation->erase("waitingCount");
    rotation->erase("waitingFor");
    rotation->erase("message");
  }
  if (const auto conditions = status->find("conditions");
      conditions != status->end() && conditions->is_array()) {
    for (auto& condition : *conditions) {
      if (condition.is_object() && condition.value("type", "") == api::kConditionRotating) {
        condition.erase("message");
      }
    }
  }
  return out;
}

}  // namespace

bool trust_domain_changed_beyond_progress(const Json& old_domain, const Json& new_domain) {
  if (runtime::resource_version_of(old_domain) == runtime::resource_version_of(new_domain)) {
    return true;  // a resync
  }
  return without_rotation_progress(old_domain) != without_rotation_progress(new_domain);
}

std::vector<ObjectKey> bundles_of_trust_domain(const ProfileStore& profiles, const Json& domain) {
  const std::string name = name_of(domain);
  std::vector<ObjectKey> out;
  for (auto& ns : namespaces_using(profiles, name)) out.push_back({std::move(ns), name});
  return out;
}

std::vector<ObjectKey> trust_domains_of_ca_secret(const TrustDomainStore& domains,
                                                  const Json& secret) {
  return domains.keys_by_index(index::kTrustDomainCaSecret, name_of(secret));
}

std::vector<ObjectKey> bundle_of_profile(const Json& profile) {
  const auto key = runtime::try_key_of(profile);
  if (!key) return {};
  const std::string domain = runtime::string_at(profile, {"spec", "trustDomainRef", "name"});
  if (domain.empty()) return {};
  std::vector<ObjectKey> out{{key->ns, domain}};
  // A SEPP's interconnect trust domain: its bundle is the N32 roots partners are given.
  const auto n32 = runtime::string_at(profile, {"spec", "n32", "trustDomainRef", "name"});
  if (!n32.empty() && n32 != domain) out.push_back({key->ns, n32});
  return out;
}

std::vector<ObjectKey> bundle_of_config_map(const Json& config_map) {
  if (auto key = trust_bundle_key(config_map)) return {std::move(*key)};
  return {};
}

std::vector<ObjectKey> trust_domain_of_leaf_secret(const TrustDomainStore& domains,
                                                   const Json& secret) {
  const auto label = runtime::label_of(secret, render::kTrustDomainLabel);
  if (!label || label->empty()) return {};
  return domains.keys_by_index(index::kTrustDomainLabelValue, *label);
}

std::vector<ObjectKey> producers_of_nrf(const ProfileStore& profiles, const Json& nrf_profile) {
  const auto key = runtime::try_key_of(nrf_profile);
  if (!key) return {};
  if (runtime::string_at(nrf_profile, {"spec", "nfType"}) != "NRF") return {};
  auto id = runtime::string_at(nrf_profile, {"spec", "nfInstanceId"});
  if (id.empty()) id = runtime::string_at(nrf_profile, {"status", "nfInstanceId"});
  if (id.empty()) return {};
  return profiles.keys_by_index(index::kProfileOAuth2Nrf, nrf_key(key->ns, id));
}

std::vector<ObjectKey> producers_of_signing_secret(const ProfileStore& profiles,
                                                   const Json& secret) {
  const auto key = runtime::try_key_of(secret);
  if (!key) return {};
  for (const auto& reference : runtime::owner_references_of(secret)) {
    if (!reference.controller || reference.kind != "SecurityProfile") continue;
    const auto nrf = profiles.get({key->ns, reference.name});
    if (!nrf || render::oauth2_signing_secret_name(*nrf) != key->name) return {};
    const auto id = api::effective_nf_instance_id(*nrf);
    if (!id) return {};
    return profiles.keys_by_index(index::kProfileOAuth2Nrf, nrf_key(key->ns, *id));
  }
  return {};
}

std::vector<ObjectKey> profile_of_orphaned_certificate_secret(const Json& secret) {
  if (!runtime::has_finalizer(secret, render::kRevocationFinalizer)) return {};
  for (const auto& reference : runtime::owner_references_of(secret)) {
    if (reference.controller) return {};  // its owner's events and deletion reach it
  }
  const auto key = runtime::try_key_of(secret);
  const auto profile = runtime::label_of(secret, render::kProfileLabel);
  if (!key || !profile || profile->empty()) return {};
  return {{key->ns, *profile}};
}

Json strip_pod(Json pod) {
  Json out = Json::object();
  for (const char* field : {"apiVersion", "kind"}) {
    if (pod.contains(field)) out[field] = std::move(pod[field]);
  }
  auto& metadata = pod["metadata"];
  Json kept = Json::object();
  if (metadata.is_object()) {
    for (const char* field : {"name", "namespace", "uid", "resourceVersion", "labels",
                              "annotations", "ownerReferences", "deletionTimestamp"}) {
      if (metadata.contains(field)) kept[field] = std::move(metadata[field]);
    }
  }
  out["metadata"] = std::move(kept);
  Json spec = Json::object();
  const auto& full_spec = pod["spec"];
  if (full_spec.is_object()) {
    if (full_spec.contains("hostNetwork")) spec["hostNetwork"] = full_spec["hostNetwork"];
    for (const char* list : {"initContainers", "containers"}) {
      const auto it = full_spec.find(list);
      if (it == full_spec.end() || !it->is_array()) continue;
      Json names = Json::array();
      for (const auto& c : *it) names.push_back(Json{{"name", c.value("name", std::string{})}});
      spec[list] = std::move(names);
    }
  }
  out["spec"] = std::move(spec);
  const auto& status = pod["status"];
  if (status.is_object() && status.contains("phase")) {
    out["status"] = Json{{"phase", status["phase"]}};
  }
  return out;
}

std::vector<ObjectKey> profiles_of_pod(const ProfileStore& profiles, const Json& pod) {
  const auto key = runtime::try_key_of(pod);
  if (!key) return {};
  std::vector<ObjectKey> out;
  for (const auto& profile : profiles.by_index(index::kProfileNamespace, key->ns)) {
    if (profile && api::enabler_sidecar(*profile) && policies::pod_selected(*profile, pod)) {
      out.push_back({key->ns, profile->metadata.name});
    }
  }
  const auto named = runtime::annotation_of(pod, render::kInjectedProfileAnnotation).value_or("");
  if (!named.empty() && std::find(out.begin(), out.end(), ObjectKey{key->ns, named}) == out.end()) {
    out.push_back({key->ns, named});
  }
  return out;
}

}  // namespace secprov::controllers
