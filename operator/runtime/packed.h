#pragma once
// A JSON value kept as MessagePack bytes. An nlohmann tree costs about 100 bytes per object
// member (a map node, its key and its value, each with a malloc header); the same object
// encoded is about a third of that. Caches that hold thousands of objects keep them packed and
// expand one when it is read (runtime/store.h).

#include <cstddef>
#include <string>

#include "runtime/object.h"

namespace secprov::runtime {

class PackedJson {
 public:
  PackedJson() = default;  // null
  explicit PackedJson(const Json& value);

  // The value again, equal to the one packed; numbers typed as a text parse types them
  // (non-negative integers unsigned). Throws std::runtime_error on bytes not made by the
  // constructor.
  Json unpack() const;
  // Encoded bytes held.
  std::size_t size() const { return bytes_.size(); }

 private:
  std::string bytes_;
};

}  // namespace secprov::runtime
