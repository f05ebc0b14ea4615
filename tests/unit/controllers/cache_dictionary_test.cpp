#include "controllers/cache_dictionary.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "controllers/observed.h"
#include "render/digest.h"
#include "render/labels.h"
#include "runtime/packed.h"
#include "yaml/yaml.h"

namespace secprov::controllers {
namespace {

void collect_property_names(const nlohmann::json& schema, std::set<std::string>& names) {
  if (!schema.is_object()) return;
  if (const auto properties = schema.find("properties"); properties != schema.end()) {
    for (const auto& [name, property] : properties->items()) {
      names.insert(name);
      collect_property_names(property, names);
    }
  }
  for (const char* nested : {"items", "additionalProperties"}) {
    if (schema.contains(nested)) collect_property_names(schema.at(nested), names);
  }
}

// A field added to the schema and not to the dictionary would cost every cached profile its
// name's bytes: the list stays complete.
TEST(CacheDictionary, HasEveryFieldNameOfTheProfileSchema) {
  const auto documents =
      yaml::load_file(std::string(SECPROV_SOURCE_DIR) + "/crds/secprov.io_securityprofiles.yaml");
  ASSERT_EQ(documents.size(), 1u);
  std::set<std::string> names;
  for (const auto& version : documents.front().at("spec").at("versions")) {
    collect_property_names(version.at("schema").at("openAPIV3Schema"), names);
  }
  ASSERT_GT(names.size(), 100u);  // the schema was read
  const runtime::PackDictionary dictionary(cache_dictionary_entries());
  for (const auto& name : names) EXPECT_TRUE(dictionary.find(name)) << name;
}

// What the Secret cache holds per profile, as the transform leaves it, packs in about a third
// fewer bytes, and unpacks unchanged.
TEST(CacheDictionary, PacksACachedSecretSmaller) {
  const auto dictionary = make_cache_dictionary();
  const nlohmann::json secret = {
      {"apiVersion", "v1"},
      {"kind", "Secret"},
      {"type", "kubernetes.io/tls"},
      {"metadata",
       {{"name", "amf-tls"},
        {"namespace", "core"},
        {"uid", "26b82870-15ab-4702-bda8-e6cfdd27557f"},
        {"resourceVersion", "263"},
        {"creationTimestamp", "2026-12-01T10:29:06Z"},
        {"labels",
         {{render::kManagedByLabel, render::kManagedByValue},
          {render::kPartOfLabel, render::kPartOfValue},
          {render::kProfileLabel, "amf"},
          {render::kTrustDomainLabel, "core"}}},
        {"annotations",
         {{render::kInputDigestAnnotation, "sha256:" + std::string(64, 'a')},
          {render::kDataDigestsAnnotation, "{\"tls.crt\":\"" + std::string(64, 'b') + "\"}"}}},
        {"ownerReferences",
         {{{"apiVersion", "secprov.io/v1alpha1"},
           {"kind", "SecurityProfile"},
           {"name", "amf"},
           {"uid", "0f571745-a849-4714-99e1-099d5f915104"},
           {"controller", true},
           {"blockOwnerDeletion", true}}}},
        {"managedFields", {{{"manager", "secprov-operator"}, {"operation", "Apply"}}}}}},
      {"data", nlohmann::json::object()},
      {kCachedDigestsField, true},
      {kCachedLeafField, nlohmann::json::binary(std::vector<std::uint8_t>(677, 0x30))},
      {kCachedCaFingerprintsField, {std::string(64, 'c')}}};
  const runtime::PackedJson plain(secret);
  const runtime::PackedJson packed(secret, dictionary.get());
  EXPECT_EQ(packed.unpack(dictionary.get()), secret);
  EXPECT_LT(packed.size() * 100, plain.size() * 85) << packed.size() << " of " << plain.size();
}

}  // namespace
}  // namespace secprov::controllers
