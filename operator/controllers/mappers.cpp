#include "controllers/mappers.h"

#include <utility>

#include "controllers/ca_provider.h"
#include "controllers/trust_bundle_controller.h"
#include "render/labels.h"

namespace secprov::controllers {
namespace {

using runtime::Json;
using runtime::ObjectKey;

std::string name_of(const Json& object) {
  return object.value("metadata", Json::object()).value("name", std::string{});
}

template <class T>
std::optional<T> ok_or_nullopt(api::Result<T> result) {
  if (!result) return std::nullopt;
  return std::move(result).value();
}

}  // namespace

namespace index {
std::string namespace_trust_domain(std::string_view ns, std::string_view domain) {
  return std::string(ns) + "/" + std::string(domain);
}
}  // namespace index

std::shared_ptr<ProfileStore> make_profile_store() {
  auto store = std::make_shared<ProfileStore>(
      [](const Json& object) { return ok_or_nullopt(api::parse_security_profile(object)); });
  using Values = std::vector<std::string>;
  store->add_index(std::string(index::kProfileTrustDomain), [](const api::SecurityProfile& p) {
    return Values{p.spec.trust_domain_ref.name};
  });
  store->add_index(std::string(index::kProfileNamespace),
                   [](const api::SecurityProfile& p) { return Values{p.metadata.namespace_}; });
  store->add_index(
      std::string(index::kProfileNamespaceTrustDomain), [](const api::SecurityProfile& p) {
        return Values{
            index::namespace_trust_domain(p.metadata.namespace_, p.spec.trust_domain_ref.name)};
      });
  store->add_index(std::string(index::kProfileIpsecPeerAddress), [](const api::SecurityProfile& p) {
    Values addresses;
    if (!p.spec.ipsec) return addresses;
    for (const auto& interface : p.spec.ipsec->interfaces) {
      for (const auto& peer : interface.peers) addresses.push_back(peer.address);
    }
    return addresses;
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
  const std::string domain = profile.value("spec", Json::object())
                                 .value("trustDomainRef", Json::object())
                                 .value("name", std::string{});
  if (domain.empty()) return {};
  return {{key->ns, domain}};
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

}  // namespace secprov::controllers
