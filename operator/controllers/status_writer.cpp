#include "controllers/status_writer.h"

#include "controllers/context.h"
#include "controllers/observed.h"
#include "render/digest.h"

namespace secprov::controllers {

bool write_status_if_changed(kube::Client& client, const kube::ResourceType& type,
                             const nlohmann::json& object, const nlohmann::json& status) {
  // A cached profile carries its status's digest only (strip_profile_status).
  if (const auto digest = object.find(kCachedStatusDigestField); digest != object.end()) {
    if (*digest == render::json_digest(status)) return false;
  } else if (const auto current = object.find("status");
             current == object.end() ? status.empty() : *current == status) {
    return false;
  }
  const auto& metadata = object.at("metadata");
  nlohmann::json replacement = {
      {"apiVersion", type.api_version()},
      {"kind", type.kind},
      // A precondition: a status computed from a stale cache (our own
      // writes not yet seen) gets Conflict and is recomputed, so nothing
      // recorded by the previous pass (drift findings) is lost.
      {"metadata",
       {{"name", metadata.at("name")}, {"resourceVersion", metadata.at("resourceVersion")}}},
      {"status", status}};
  const std::string ns = metadata.value("namespace", std::string{});
  if (!ns.empty()) replacement["metadata"]["namespace"] = ns;
  // The operator is the only writer of its status, so it replaces it whole: a PUT of the
  // status subresource (the server keeps the rest of the object as it is). A server-side
  // apply costs the API server more (a YAML decode of the body, a merge of field sets), and
  // the control plane is what limits a burst (docs/benchmarks.md, session 17).
  client.update(
      type, ns, replacement, "status",
      kube::UpdateOptions{.field_manager = kFieldManager, .answer = kube::Answer::Metadata});
  return true;
}

}  // namespace secprov::controllers
