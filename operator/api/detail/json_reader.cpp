#include "api/detail/json_reader.h"

#include "api/constants.h"

namespace secprov::api::detail {

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

std::string index_path(std::string_view parent, std::size_t i) {
  return std::string(parent) + "[" + std::to_string(i) + "]";
}

std::string quoted_list(const std::vector<std::string_view>& names) {
  std::string out;
  for (auto n : names) {
    if (!out.empty()) out += ", ";
    out += '"';
    out += n;
    out += '"';
  }
  return out;
}

void type_error(FieldErrors& errs, const std::string& path, std::string_view type) {
  errs.push_back({FieldErrorType::TypeInvalid, path,
                  "Invalid value: " + path + " must be of type " + std::string(type)});
}

ObjectReader::ObjectReader(const nlohmann::json& j, std::string path, FieldErrors& errs,
                           Strictness strictness)
    : path_(std::move(path)), errs_(errs), strictness_(strictness) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  if (j.is_object()) {
    obj_ = &j;
  } else if (j.is_null()) {
    obj_ = &kEmpty;
  } else {
    type_error(errs_, path_.empty() ? std::string("<root>") : path_, "object");
  }
}

const nlohmann::json* ObjectReader::get(std::string_view key, Required req) {
  seen_.insert(std::string(key));
  if (obj_ == nullptr) return nullptr;
  auto it = obj_->find(key);
  if (it == obj_->end() || it->is_null()) {
    if (req == Required::Yes) {
      errs_.push_back({FieldErrorType::Required, child(key), "Required value"});
    }
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> ObjectReader::string(std::string_view key, Required req) {
  const auto* v = get(key, req);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    type_error(errs_, child(key), "string");
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<bool> ObjectReader::boolean(std::string_view key, Required req) {
  const auto* v = get(key, req);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    type_error(errs_, child(key), "boolean");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::int64_t> ObjectReader::integer(std::string_view key, Required req) {
  const auto* v = get(key, req);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_integer()) {
    if (v->is_number_unsigned() &&
        v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      type_error(errs_, child(key), "integer (int64)");
      return std::nullopt;
    }
    return v->get<std::int64_t>();
  }
  type_error(errs_, child(key), "integer");
  return std::nullopt;
}

std::optional<Timestamp> ObjectReader::timestamp(std::string_view key, Required req) {
  auto s = string(key, req);
  if (!s) return std::nullopt;
  auto t = parse_rfc3339(*s);
  if (!t) {
    errs_.push_back({FieldErrorType::Invalid, child(key),
                     "Invalid value: \"" + *s + "\": must be an RFC 3339 date-time"});
  }
  return t;
}

const nlohmann::json* ObjectReader::object(std::string_view key, Required req) {
  const auto* v = get(key, req);
  if (v == nullptr) return nullptr;
  if (!v->is_object()) {
    type_error(errs_, child(key), "object");
    return nullptr;
  }
  return v;
}

const nlohmann::json* ObjectReader::array(std::string_view key, Required req) {
  const auto* v = get(key, req);
  if (v == nullptr) return nullptr;
  if (!v->is_array()) {
    type_error(errs_, child(key), "array");
    return nullptr;
  }
  return v;
}

void ObjectReader::not_supported(const std::string& path, std::string_view value,
                                 const std::vector<std::string_view>& names) {
  errs_.push_back({FieldErrorType::NotSupported, path,
                   "Unsupported value: \"" + std::string(value) +
                       "\": supported values: " + quoted_list(names)});
}

void ObjectReader::finish() {
  if (obj_ == nullptr || strictness_ == Strictness::IgnoreUnknown) return;
  for (const auto& [key, value] : obj_->items()) {
    if (seen_.find(key) == seen_.end()) {
      const std::string p = child(key);
      errs_.push_back({FieldErrorType::Unknown, p, "unknown field \"" + p + "\""});
    }
  }
}

std::vector<std::string> read_string_array(const nlohmann::json& arr, const std::string& path,
                                           FieldErrors& errs) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < arr.size(); ++i) {
    if (!arr[i].is_string()) {
      type_error(errs, index_path(path, i), "string");
      continue;
    }
    out.push_back(arr[i].get<std::string>());
  }
  return out;
}

void check_type_meta(ObjectReader& resource, std::string_view kind, FieldErrors& errs) {
  if (auto v = resource.string("apiVersion"); v && *v != kApiVersion) {
    errs.push_back({FieldErrorType::Invalid, "apiVersion",
                    "Invalid value: \"" + *v + "\": must be " + std::string(kApiVersion)});
  }
  if (auto v = resource.string("kind"); v && *v != kind) {
    errs.push_back({FieldErrorType::Invalid, "kind",
                    "Invalid value: \"" + *v + "\": must be " + std::string(kind)});
  }
}

}  // namespace secprov::api::detail
