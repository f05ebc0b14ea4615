#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "kube/client.h"

namespace secprov::controllers {

// Replaces the object's status with `status` (a PUT of the status subresource under the
// operator's field manager, conditional on the cached resourceVersion: Conflict when the cache
// is stale), unless it equals what the object already shows: a reconcile that changes nothing
// writes nothing. Returns true when it wrote.
bool write_status_if_changed(kube::Client& client, const kube::ResourceType& type,
                             const nlohmann::json& object, const nlohmann::json& status);

}  // namespace secprov::controllers
