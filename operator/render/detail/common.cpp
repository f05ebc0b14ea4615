#include "render/detail/common.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "api/duration.h"
#include "crypto/encoding.h"
#include "render/errors.h"
#include "render/labels.h"

namespace secprov::render::detail {

std::string short_hash(std::string_view s) {
  return crypto::sha256_hex(s).substr(0, 10);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string bounded_name(std::string_view base, std::string_view suffix, std::size_t max_length) {
  if (base.size() + suffix.size() <= max_length) return std::string(base) + std::string(suffix);
  const std::string hash = short_hash(base);
  const std::size_t keep = max_length - suffix.size() - hash.size() - 1;
  std::string head(base.substr(0, keep));
  while (!head.empty() && (head.back() == '-' || head.back() == '.')) head.pop_back();
  return head + "-" + hash + std::string(suffix);
}

void require_identity(const api::SecurityProfile& profile) {
  const auto& m = profile.metadata;
  if (m.name.empty()) throw std::invalid_argument("render: profile has no metadata.name");
  if (m.namespace_.empty()) {
    throw std::invalid_argument("render: profile " + m.name + " has no metadata.namespace");
  }
  if (m.uid.empty())
    throw std::invalid_argument("render: profile " + m.name + " has no metadata.uid");
}

nlohmann::json make_object(std::string_view kind, std::string_view name, std::string_view ns,
                           const std::map<std::string, std::string>& labels,
                           const nlohmann::json& owner, nlohmann::json data,
                           std::string_view type) {
  nlohmann::json metadata = {
      {"name", name},
      {"namespace", ns},
      {"labels", labels},
  };
  if (!owner.is_null()) metadata["ownerReferences"] = nlohmann::json::array({owner});
  nlohmann::json object = {
      {"apiVersion", "v1"},
      {"kind", kind},
      {"metadata", std::move(metadata)},
      {"data", std::move(data)},
  };
  if (!type.empty()) object["type"] = type;
  return object;
}

std::vector<const api::IpsecInterfaceSpec*> sorted_interfaces(const api::SecurityProfile& profile) {
  std::vector<const api::IpsecInterfaceSpec*> out;
  if (!profile.spec.ipsec) return out;
  for (const auto& i : profile.spec.ipsec->interfaces) out.push_back(&i);
  std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    return static_cast<int>(a->name) < static_cast<int>(b->name);
  });
  return out;
}

std::vector<const api::IpsecPeer*> sorted_peers(const api::IpsecInterfaceSpec& interface) {
  std::vector<const api::IpsecPeer*> out;
  for (const auto& p : interface.peers) out.push_back(&p);
  std::stable_sort(out.begin(), out.end(),
                   [](const auto* a, const auto* b) { return a->name < b->name; });
  return out;
}

long long duration_seconds(const std::string& go_duration, std::string_view field) {
  const auto d = api::parse_go_duration(go_duration);
  if (!d) {
    throw RenderError(std::string(field), "invalid duration \"" + go_duration + "\"");
  }
  return d->count();
}

const nlohmann::json* find_path(const nlohmann::json& object,
                                std::initializer_list<const char*> keys) {
  const nlohmann::json* at = &object;
  for (const char* key : keys) {
    if (!at->is_object()) return nullptr;
    const auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

}  // namespace secprov::render::detail
