#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "kube/client.h"

namespace secprov::controllers {

// Writes `status` to the object's status subresource by server-side apply under the
// operator's field manager, unless it equals what the object already shows: a reconcile
// that changes nothing writes nothing. Returns true when it wrote.
bool write_status_if_changed(kube::Client& client, const kube::ResourceType& type,
                             const nlohmann::json& object, const nlohmann::json& status);

}  // namespace secprov::controllers
