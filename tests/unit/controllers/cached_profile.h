#pragma once
// Test support: a SecurityProfile put into the reconcilers' caches as the operator's reflector
// puts it (manager.cpp): parsed whole by the typed cache, stored without most of its status.

#include <memory>
#include <nlohmann/json.hpp>

#include "controllers/context.h"
#include "controllers/observed.h"

namespace secprov::controllers::testing {

inline void cache_profile(const Stores& stores, const nlohmann::json& profile) {
  const auto stored = std::make_shared<const nlohmann::json>(
      stores.typed_profiles->admit(profile, strip_profile_status));
  stores.profiles->upsert(stored);
  stores.typed_profiles->upsert(stored);
}

}  // namespace secprov::controllers::testing
