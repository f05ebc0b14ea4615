#pragma once
// Internal helpers shared by the renderers (not part of the render API).

#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/securityprofile.h"

namespace secprov::render::detail {

// First 10 hex digits of the SHA-256 of s.
std::string short_hash(std::string_view s);
std::string lower(std::string_view s);

// base + suffix when it fits in max_length, else base shortened, '-', short_hash(base),
// suffix. Trailing '-' and '.' of the shortened base are dropped so the result stays a
// DNS subdomain / label value.
std::string bounded_name(std::string_view base, std::string_view suffix, std::size_t max_length);

// Throws std::invalid_argument unless the profile has a name, a namespace and a uid (what
// an owned object needs).
void require_identity(const api::SecurityProfile& profile);

// A namespaced v1 object with metadata {name, namespace, labels, ownerReferences (when
// owner is not null)}, `data`, and `type` when not empty (digest annotations: digest.h). Only
// fields the operator owns: everything else is left to others under server-side apply.
nlohmann::json make_object(std::string_view kind, std::string_view name, std::string_view ns,
                           const std::map<std::string, std::string>& labels,
                           const nlohmann::json& owner, nlohmann::json data,
                           std::string_view type = {});

// IPsec interfaces in API order (N2, N3, N4, N9, Xn) and their peers by name: the lists are
// list-maps whose order carries no meaning, so reordering them changes no output.
std::vector<const api::IpsecInterfaceSpec*> sorted_interfaces(const api::SecurityProfile& profile);
std::vector<const api::IpsecPeer*> sorted_peers(const api::IpsecInterfaceSpec& interface);

// "24h" -> 86400; throws std::invalid_argument for an invalid duration.
long long duration_seconds(const std::string& go_duration, std::string_view field);

// The member at `keys` (object members, in turn); null when any step is missing or not an
// object. No copy, unlike json::value().
const nlohmann::json* find_path(const nlohmann::json& object,
                                std::initializer_list<const char*> keys);

}  // namespace secprov::render::detail
