#include "runtime/own_writes.h"

#include <algorithm>
#include <iterator>
#include <string_view>
#include <utility>

namespace secprov::runtime {
namespace {

constexpr std::size_t kVersionsPerObject = 4;
// Events of one object that come during one write are few; past this many the oldest is
// delivered rather than held longer, so a stream of someone else's edits is not piled up.
constexpr std::size_t kHeldPerObject = 8;

// The type as OwnWrites' constructor names it: "<apiVersion>/<kind>".
std::string type_name(std::string_view api_version, std::string_view kind) {
  return std::string(api_version).append("/").append(kind);
}

std::string type_of(const Json& object) {
  if (!object.is_object()) return {};
  const auto api_version = object.find("apiVersion");
  const auto kind = object.find("kind");
  if (api_version == object.end() || kind == object.end() || !api_version->is_string() ||
      !kind->is_string()) {
    return {};
  }
  return type_name(api_version->get_ref<const std::string&>(), kind->get_ref<const std::string&>());
}

void call_all(const std::vector<std::function<void()>>& calls) {
  for (const auto& call : calls) call();
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

std::optional<OwnWrites::Id> OwnWrites::id_of(const kube::WriteTarget& target) const {
  auto type = type_name(target.api_version, target.kind);
  if (target.name.empty() || !types_.contains(type)) return std::nullopt;
  return Id{std::move(type), ObjectKey{target.ns, target.name}};
}

void OwnWrites::sending(const kube::WriteTarget& target) {
  auto id = id_of(target);
  if (!id) return;
  const std::lock_guard lock(mutex_);
  ++entries_[std::move(*id)].writes_in_flight;
}

void OwnWrites::answered(const kube::WriteTarget& target, const Json* written) {
  const auto id = id_of(target);
  if (!id) return;
  // No version (a failed write, an odd answer): nothing can be proven ours.
  auto version = written ? resource_version_of(*written) : std::string{};
  std::vector<std::function<void()>> settled;
  {
    const std::lock_guard lock(mutex_);
    const auto it = entries_.find(*id);
    if (it == entries_.end()) return;
    auto& entry = it->second;
    if (entry.writes_in_flight > 0) --entry.writes_in_flight;
    bool echo_seen = false;
    std::vector<Held> still_held;
    for (auto& held : entry.held) {
      if (!echo_seen && !version.empty() && held.version == version) {
        echo_seen = true;
        settled.push_back(std::move(held.echo));
      } else if (entry.writes_in_flight == 0) {
        settled.push_back(std::move(held.deliver));
      } else {
        // Another write of the object is still in flight: the event may be its echo.
        still_held.push_back(std::move(held));
      }
    }
    entry.held = std::move(still_held);
    if (!echo_seen && !version.empty()) {
      if (entry.versions.size() >= kVersionsPerObject) entry.versions.erase(entry.versions.begin());
      entry.versions.push_back(std::move(version));
    }
    if (entry.empty()) entries_.erase(it);
  }
  call_all(settled);
}

void OwnWrites::on_event(const Json& observed, std::function<void()> echo,
                         std::function<void()> deliver) {
  const auto id = id_of(observed);
  auto version = id ? resource_version_of(observed) : std::string{};
  std::function<void()> now = std::move(deliver);
  {
    const std::lock_guard lock(mutex_);
    const auto it = version.empty() ? entries_.end() : entries_.find(*id);
    if (it != entries_.end()) {
      auto& entry = it->second;
      auto& versions = entry.versions;
      if (const auto match = std::ranges::find(versions, version); match != versions.end()) {
        // Events come in resourceVersion order, so the records before this one were overtaken.
        versions.erase(versions.begin(), std::next(match));
        if (entry.empty()) entries_.erase(it);
        now = std::move(echo);
      } else if (entry.writes_in_flight > 0) {
        std::function<void()> oldest;
        if (entry.held.size() >= kHeldPerObject) {
          oldest = std::move(entry.held.front().deliver);
          entry.held.erase(entry.held.begin());
        }
        entry.held.push_back(Held{std::move(version), std::move(echo), std::move(now)});
        now = std::move(oldest);
      }
    }
  }
  if (now) now();
}

void OwnWrites::forget(const Json& object) {
  const auto id = id_of(object);
  if (!id) return;
  std::vector<std::function<void()>> released;
  {
    const std::lock_guard lock(mutex_);
    const auto it = entries_.find(*id);
    if (it == entries_.end()) return;
    auto& entry = it->second;
    for (auto& held : entry.held) released.push_back(std::move(held.deliver));
    entry.held.clear();
    entry.versions.clear();
    if (entry.empty()) entries_.erase(it);
  }
  call_all(released);
}

std::size_t OwnWrites::size() const {
  const std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace secprov::runtime
