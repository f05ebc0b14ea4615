#include "runtime/finalizer.h"

#include <algorithm>

namespace secprov::runtime {
namespace {

void patch_finalizers(kube::Client& client, const kube::ResourceType& type, const Json& object,
                      const Json& finalizers) {
  const auto& metadata = object["metadata"];
  client.merge_patch(type, metadata.value("namespace", std::string{}),
                     metadata.value("name", std::string{}),
                     {{"metadata",
                       {{"finalizers", finalizers},
                        {"resourceVersion", metadata.value("resourceVersion", std::string{})}}}},
                     /*subresource=*/{}, kube::Answer::Metadata);
}

}  // namespace

bool has_finalizer(const Json& object, std::string_view finalizer) {
  const auto* finalizers = find_at(object, {"metadata", "finalizers"});
  return finalizers != nullptr && finalizers->is_array() &&
         std::find(finalizers->begin(), finalizers->end(), Json(finalizer)) != finalizers->end();
}

std::optional<Json> finalizers_without(const Json& object, std::string_view finalizer) {
  if (!has_finalizer(object, finalizer)) return std::nullopt;
  auto rest = object["metadata"]["finalizers"];
  rest.erase(std::remove(rest.begin(), rest.end(), Json(finalizer)), rest.end());
  return rest;
}

bool remove_finalizer(kube::Client& client, const kube::ResourceType& type, const Json& object,
                      std::string_view finalizer) {
  const auto rest = finalizers_without(object, finalizer);
  if (!rest) return false;
  patch_finalizers(client, type, object, *rest);
  return true;
}

ReconcileResult with_finalizer(kube::Client& client, const kube::ResourceType& type,
                               const Json& object, std::string_view finalizer,
                               const std::function<ReconcileResult(FinalizerEvent)>& reconcile) {
  const bool present = has_finalizer(object, finalizer);
  if (object["metadata"].contains("deletionTimestamp")) {
    if (!present) return ReconcileResult::Done();
    auto result = reconcile(FinalizerEvent::Cleanup);
    remove_finalizer(client, type, object, finalizer);
    return result;
  }
  if (!present) {
    auto finalizers = object["metadata"].value("finalizers", Json::array());
    finalizers.push_back(finalizer);
    patch_finalizers(client, type, object, finalizers);
    return ReconcileResult::Done();
  }
  return reconcile(FinalizerEvent::Apply);
}

}  // namespace secprov::runtime
