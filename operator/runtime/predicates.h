#pragma once
// Which watch events can matter to a reconciler (controller-runtime's predicates).

#include "runtime/object.h"

namespace secprov::runtime {

// An update of an object whose status is a subresource (its generation moves only with its
// spec) matters when its spec (generation), labels, annotations, finalizers, owner references,
// deletionTimestamp or UID changed, or when it is a re-delivery of the same version (a resync,
// which must keep reaching the reconciler). A status-only or managedFields-only update does not
// (controller-runtime's GenerationChangedPredicate, plus the metadata reconcilers read): that
// is mostly the echo of the reconciler's own status write.
bool spec_or_metadata_changed(const Json& old_object, const Json& new_object);

}  // namespace secprov::runtime
