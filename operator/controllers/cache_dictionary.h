#pragma once
// The strings every object of the packed caches repeats (runtime::PackDictionary): the
// Kubernetes object's field names, the SecurityProfile schema's, the operator's labels,
// annotations, data keys and store-only fields, and the values nearly every profile has. Held
// once, referenced by two bytes from each cached profile, Secret and ConfigMap.

#include <memory>
#include <string>
#include <vector>

#include "runtime/packed.h"

namespace secprov::controllers {

// The entries, in the order they are numbered.
std::vector<std::string> cache_dictionary_entries();
// One dictionary for the process's packed caches (built by each call: the Manager makes one).
std::shared_ptr<const runtime::PackDictionary> make_cache_dictionary();

}  // namespace secprov::controllers
