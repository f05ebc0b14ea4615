#include "render/digest.h"

#include <stdexcept>

#include "crypto/encoding.h"

namespace secprov::render {

namespace {

void check_data(const nlohmann::json& data_object) {
  if (!data_object.is_object()) {
    throw std::invalid_argument("content_digest: data must be a JSON object");
  }
  for (const auto& [key, value] : data_object.items()) {
    if (!value.is_string()) {
      throw std::invalid_argument("content_digest: data[" + key + "] must be a string");
    }
  }
}

std::string digest(std::string_view bytes) {
  return "sha256:" + crypto::sha256_hex(bytes);
}

}  // namespace

std::string content_digest(const nlohmann::json& data_object) {
  check_data(data_object);
  // nlohmann::json objects are std::map-backed: dump() writes keys sorted, without
  // whitespace, strings escaped as JSON (invalid UTF-8 throws instead of being guessed).
  return digest(data_object.dump());
}

std::map<std::string, std::string> key_digests(const nlohmann::json& data_object) {
  check_data(data_object);
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : data_object.items()) {
    out.emplace(key, digest(value.get_ref<const std::string&>()));
  }
  return out;
}

}  // namespace secprov::render
