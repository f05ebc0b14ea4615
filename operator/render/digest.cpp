#include "render/digest.h"

#include "crypto/encoding.h"
#include "render/detail/common.h"

namespace secprov::render {

std::string value_digest(std::string_view value) {
  return crypto::sha256_hex(value);
}

std::map<std::string, std::string> data_digests(const nlohmann::json& data, DataEncoding encoding) {
  std::map<std::string, std::string> digests;
  if (!data.is_object()) return digests;
  for (const auto& [key, value] : data.items()) {
    if (!value.is_string()) continue;
    const auto& text = value.get_ref<const std::string&>();
    if (encoding == DataEncoding::Plain) {
      digests[key] = value_digest(text);
      continue;
    }
    const auto decoded = crypto::base64_decode(text);
    digests[key] = value_digest(decoded ? *decoded : text);
  }
  return digests;
}

DataEncoding data_encoding_of(const nlohmann::json& object) {
  return object.value("kind", std::string{}) == "Secret" ? DataEncoding::Base64
                                                         : DataEncoding::Plain;
}

std::string object_digest(const std::map<std::string, std::string>& data_digests) {
  std::string text;
  for (const auto& [key, digest] : data_digests) text += key + "=" + digest + "\n";
  return "sha256:" + crypto::sha256_hex(text);
}

std::string json_digest(const nlohmann::json& value) {
  return "sha256:" + crypto::sha256_hex(value.dump());
}

std::string input_digest(const nlohmann::json& inputs) {
  return json_digest(inputs);
}

nlohmann::json with_digests(nlohmann::json object, std::string_view input) {
  const auto digests =
      data_digests(object.value("data", nlohmann::json::object()), data_encoding_of(object));
  auto& annotations = object["metadata"]["annotations"];
  annotations[std::string(kInputDigestAnnotation)] = input;
  annotations[std::string(kDataDigestsAnnotation)] = nlohmann::json(digests).dump();
  return object;
}

std::map<std::string, std::string> recorded_data_digests(const nlohmann::json& object,
                                                         bool* readable) {
  if (readable != nullptr) *readable = true;
  const auto* text = detail::find_path(
      object, {"metadata", "annotations", std::string(kDataDigestsAnnotation).c_str()});
  if (text == nullptr) return {};  // no annotation: nothing recorded
  if (!text->is_string()) {
    if (readable != nullptr) *readable = false;
    return {};
  }
  try {
    return nlohmann::json::parse(text->get_ref<const std::string&>())
        .get<std::map<std::string, std::string>>();
  } catch (const nlohmann::json::exception&) {
    if (readable != nullptr) *readable = false;
    return {};
  }
}

}  // namespace secprov::render
