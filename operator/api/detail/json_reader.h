#pragma once
// Internal: strict reading of a JSON object into API types, collecting FieldErrors with
// apiserver-like messages (type errors, required fields, enums, unknown fields).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/enum_list.h"
#include "api/enums.h"
#include "api/errors.h"
#include "api/time.h"

namespace secprov::api::detail {

enum class Required { No, Yes };
enum class Strictness { RejectUnknown, IgnoreUnknown };

std::string join_path(std::string_view parent, std::string_view key);
std::string index_path(std::string_view parent, std::size_t i);
std::string quoted_list(const std::vector<std::string_view>& names);  // "\"a\", \"b\""
void type_error(FieldErrors& errs, const std::string& path, std::string_view type);

class ObjectReader {
 public:
  // `j` null counts as an empty object; any other non-object records a type error.
  ObjectReader(const nlohmann::json& j, std::string path, FieldErrors& errs,
               Strictness strictness = Strictness::RejectUnknown);

  bool valid() const { return obj_ != nullptr; }
  const std::string& path() const { return path_; }
  std::string child(std::string_view key) const { return join_path(path_, key); }

  // Absent or null -> nullopt (a Required error when required); wrong type -> error + nullopt.
  std::optional<std::string> string(std::string_view key, Required req = Required::No);
  std::optional<bool> boolean(std::string_view key, Required req = Required::No);
  std::optional<std::int64_t> integer(std::string_view key, Required req = Required::No);
  std::optional<Timestamp> timestamp(std::string_view key, Required req = Required::No);
  const nlohmann::json* object(std::string_view key, Required req = Required::No);
  const nlohmann::json* array(std::string_view key, Required req = Required::No);

  template <ApiEnum E>
  std::optional<E> enumeration(std::string_view key, Required req = Required::No) {
    auto s = string(key, req);
    if (!s) return std::nullopt;
    auto e = parse_enum<E>(*s);
    if (!e) not_supported(child(key), *s, enum_names<E>());
    return e;
  }

  // Marks a key as known without reading it.
  void ignore(std::string_view key) { seen_.insert(std::string(key)); }

  // Records an Unknown error for every key not read (RejectUnknown only).
  void finish();

  void not_supported(const std::string& path, std::string_view value,
                     const std::vector<std::string_view>& names);

 private:
  const nlohmann::json* get(std::string_view key, Required req);

  const nlohmann::json* obj_ = nullptr;
  std::string path_;
  FieldErrors& errs_;
  Strictness strictness_;
  std::set<std::string, std::less<>> seen_;
};

// Elements of an array of strings; non-strings are type errors.
// apiVersion and kind of a secprov.io resource: each, when present, must be `kind`'s.
void check_type_meta(ObjectReader& resource, std::string_view kind, FieldErrors& errs);

std::vector<std::string> read_string_array(const nlohmann::json& arr, const std::string& path,
                                           FieldErrors& errs);

// maxItems in the API server's words.
inline FieldError too_many_items(const std::string& path, std::size_t n, std::size_t max) {
  return {
      FieldErrorType::TooMany, path,
      "Too many: " + std::to_string(n) + ": must have at most " + std::to_string(max) + " items"};
}

template <ApiEnum E>
std::vector<E> read_enum_array(const nlohmann::json& arr, const std::string& path,
                               FieldErrors& errs) {
  std::vector<E> out;
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const auto& item = arr[i];
    const std::string p = index_path(path, i);
    if (!item.is_string()) {
      type_error(errs, p, "string");
      continue;
    }
    const auto& s = item.get_ref<const std::string&>();
    if (auto e = parse_enum<E>(s)) {
      out.push_back(*e);
    } else {
      errs.push_back(
          {FieldErrorType::NotSupported, p,
           "Unsupported value: \"" + s + "\": supported values: " + quoted_list(enum_names<E>())});
    }
  }
  return out;
}

template <ApiEnum E>
void read_enum_array(const nlohmann::json& arr, const std::string& path, std::vector<E>& out,
                     FieldErrors& errs) {
  out = read_enum_array<E>(arr, path, errs);
}

// As read_enum_array, into a list bounded by the CRD's maxItems: more items than that are a
// TooMany error (as the API server's own check words it) and nothing is read.
template <ApiEnum E, std::size_t kMax>
void read_enum_array(const nlohmann::json& arr, const std::string& path, EnumList<E, kMax>& out,
                     FieldErrors& errs) {
  if (arr.size() > kMax) {
    errs.push_back(too_many_items(path, arr.size(), kMax));
    return;
  }
  const auto items = read_enum_array<E>(arr, path, errs);
  out = EnumList<E, kMax>(items.begin(), items.end());
}

}  // namespace secprov::api::detail
