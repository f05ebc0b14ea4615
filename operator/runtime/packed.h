#pragma once
// A JSON value kept as MessagePack bytes. An nlohmann tree costs about 100 bytes per object
// member (a map node, its key and its value, each with a malloc header); the same object
// encoded is about a third of that. Caches that hold thousands of objects keep them packed and
// expand one when it is read (runtime/store.h). Lowercase hex in a string (digests, UIDs) is
// kept as its bytes, half the size; the string read back is the same.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/object.h"

namespace secprov::runtime {

// Strings that recur in every object of a cache (field names, label keys, enum values), each
// packed as two bytes instead of its text: a third of a cached Secret's bytes were its keys.
// Immutable once made. Which strings belong here is the caller's knowledge (runtime/ knows no
// API types); a string missing from it costs bytes, never correctness.
class PackDictionary {
 public:
  static constexpr std::size_t kMaxEntries = 256;  // one byte per reference
  // Throws std::invalid_argument on more than kMaxEntries strings, a duplicate or an empty one.
  explicit PackDictionary(std::vector<std::string> entries);
  // The index views the entries: shared by pointer (std::shared_ptr<const PackDictionary>).
  PackDictionary(const PackDictionary&) = delete;
  PackDictionary& operator=(const PackDictionary&) = delete;

  std::optional<std::uint8_t> find(std::string_view text) const;
  // nullopt: no entry at `index`.
  std::optional<std::string_view> at(std::uint8_t index) const;
  std::size_t size() const { return entries_.size(); }

 private:
  std::vector<std::string> entries_;
  std::unordered_map<std::string_view, std::uint8_t> index_;  // views into entries_
};

class PackedJson {
 public:
  PackedJson() = default;  // null
  // With a dictionary, its strings are packed as references to it, and unpack() needs the same
  // dictionary.
  explicit PackedJson(const Json& value, const PackDictionary* dictionary = nullptr);

  // The value again, equal to the one packed; numbers typed as a text parse types them
  // (non-negative integers unsigned). Throws std::runtime_error on bytes not made by the
  // constructor, or on a reference to a dictionary entry that `dictionary` does not have.
  Json unpack(const PackDictionary* dictionary = nullptr) const;
  // Encoded bytes held.
  std::size_t size() const;

 private:
  std::string_view bytes() const;
  // The encoded bytes after their count (4 bytes, little-endian) in one exact allocation:
  // 8 bytes in the holder, where a std::string took 32 (a cache slot per object).
  std::unique_ptr<char[]> bytes_;
};

}  // namespace secprov::runtime
