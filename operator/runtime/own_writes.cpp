#include "runtime/own_writes.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace secprov::runtime {
namespace {

constexpr std::size_t kVersionsPerObject = 4;

std::string type_of(const Json& object) {
  if (!object.is_object()) return {};
  const auto api_version = object.find("apiVersion");
  const auto kind = object.find("kind");
  if (api_version == object.end() || kind == object.end() || !api_version->is_string() ||
      !kind->is_string()) {
    return {};
  }
  return api_version->get<std::string>() + "/" + kind->get<std::string>();
}

}  // namespace

OwnWrites::OwnWrites(std::set<std::string> types) : types_(std::move(types)) {}

std::optional<OwnWrites::Id> OwnWrites::id_of(const Json& object) const {
  auto type = type_of(object);
  if (!types_.contains(type)) return std::nullopt;
  auto key = try_key_of(object);
  if (!key) return std::nullopt;
  return Id{std::move(type), std::move(*key)};
}

void OwnWrites::record(const Json& written) {
  auto id = id_of(written);
  if (!id) return;
  auto version = resource_version_of(written);
  if (version.empty()) return;
  const std::lock_guard lock(mutex_);
  auto& versions = versions_[std::move(*id)];
  if (versions.size() >= kVersionsPerObject) versions.erase(versions.begin());
  versions.push_back(std::move(version));
}

bool OwnWrites::consume_echo(const Json& observed) {
  const auto id = id_of(observed);
  if (!id) return false;
  const auto version = resource_version_of(observed);
  if (version.empty()) return false;
  const std::lock_guard lock(mutex_);
  const auto it = versions_.find(*id);
  if (it == versions_.end()) return false;
  auto& versions = it->second;
  const auto match = std::ranges::find(versions, version);
  if (match == versions.end()) return false;
  // Events come in resourceVersion order, so the records before this one were overtaken.
  versions.erase(versions.begin(), std::next(match));
  if (versions.empty()) versions_.erase(it);
  return true;
}

void OwnWrites::forget(const Json& object) {
  const auto id = id_of(object);
  if (!id) return;
  const std::lock_guard lock(mutex_);
  versions_.erase(*id);
}

std::size_t OwnWrites::size() const {
  const std::lock_guard lock(mutex_);
  return versions_.size();
}

}  // namespace secprov::runtime
