#pragma once
// A finalizer around a reconcile (kube-rs' kube_runtime::finalizer): the reconciler is
// handed either an Apply (the object is live and carries the finalizer) or a Cleanup (it
// is being deleted), and never patches finalizers itself.
//  - live, without the finalizer: the finalizer is added and the pass ends; the update
//    comes back through the watch, so Apply never runs before deletion is guarded;
//  - live, with it: Apply;
//  - deleting, with it: Cleanup; once Cleanup returns (does not throw) the finalizer is
//    removed and the object may go;
//  - deleting, without it: nothing to do.
// Finalizer patches carry the observed resourceVersion: a stale view gets Conflict and the
// pass is retried.

#include <functional>
#include <optional>
#include <string_view>

#include "kube/client.h"
#include "kube/resource.h"
#include "runtime/controller.h"
#include "runtime/object.h"

namespace secprov::runtime {

enum class FinalizerEvent { Apply, Cleanup };

// Whether metadata.finalizers holds `finalizer`.
bool has_finalizer(const Json& object, std::string_view finalizer);
// metadata.finalizers without `finalizer`; nullopt when it does not hold it.
std::optional<Json> finalizers_without(const Json& object, std::string_view finalizer);
// Removes `finalizer` by a merge patch conditional on the object's resourceVersion (a stale
// view gets Conflict). False, and nothing sent, when the object does not hold it.
bool remove_finalizer(kube::Client& client, const kube::ResourceType& type, const Json& object,
                      std::string_view finalizer);

ReconcileResult with_finalizer(kube::Client& client, const kube::ResourceType& type,
                               const Json& object, std::string_view finalizer,
                               const std::function<ReconcileResult(FinalizerEvent)>& reconcile);

}  // namespace secprov::runtime
