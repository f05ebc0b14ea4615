// secprovctl render: the operator's render functions, Secrets as key skeletons.
#include "cmd/secprovctl/render_command.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "cmd/secprovctl/manifest.h"
#include "render/profile.h"
#include "yaml/yaml.h"

namespace secprov::ctl {
namespace {

namespace fs = std::filesystem;
const fs::path kSamples = fs::path(SECPROV_SOURCE_DIR) / "deploy" / "samples";

Resources samples(const std::vector<std::string>& names) {
  std::vector<std::string> files;
  for (const auto& n : names) files.push_back((kSamples / n).string());
  auto resources = parse_resources(load_manifests(files));
  EXPECT_TRUE(resources.errors.empty());
  return resources;
}

std::vector<std::string> names_of(const std::vector<nlohmann::json>& objects) {
  std::vector<std::string> out;
  for (const auto& o : objects) out.push_back(o["kind"].get<std::string>() + " " + object_name(o));
  return out;
}

TEST(Render, UpfSampleObjectsAreTheOperators) {
  const auto resources = samples({"upf.yaml", "trustdomain.yaml"});
  ASSERT_EQ(resources.profiles.size(), 1u);
  RenderInputs inputs;
  inputs.trust_domain = resources.trust_domains.at(0).value;
  inputs.nf_instance_id = "3f2a3a0e-0d5b-4b0e-9d7e-1f2a3b4c5d6e";
  const auto& profile = resources.profiles[0].value;
  const auto rendered = render_profile(profile, inputs);
  EXPECT_EQ(names_of(rendered.objects),
            (std::vector<std::string>{"ConfigMap 5gc/upf-security", "Secret 5gc/upf-tls",
                                      "Secret 5gc/upf-ipsec"}));
  // The ConfigMap is plan_profile's, byte for byte (uid: the placeholder it was given).
  auto with_uid = profile;
  with_uid.metadata.uid = kUidPlaceholder;
  const auto plan = render::plan_profile(with_uid, *inputs.trust_domain, inputs.nf_instance_id,
                                         {"", "-----BEGIN PLACEHOLDER-----"});
  EXPECT_EQ(rendered.objects[0], plan.config_map);
  EXPECT_TRUE(rendered.objects[0]["data"].contains("open5gs.yaml") ||
              rendered.objects[0]["data"].contains("security.yaml"));
  // Secret skeletons: the keys, no value.
  std::vector<std::string> tls_keys;
  for (const auto& [key, value] : rendered.objects[1]["data"].items()) {
    tls_keys.push_back(key);
    EXPECT_EQ(value, "") << key;
  }
  EXPECT_EQ(tls_keys, (std::vector<std::string>{"ca.crt", "tls.crt", "tls.key"}));
  for (const auto& [key, value] : rendered.objects[2]["data"].items()) EXPECT_EQ(value, "") << key;
  EXPECT_EQ(rendered.objects[1]["metadata"]["ownerReferences"][0]["kind"], "SecurityProfile");
  EXPECT_EQ(rendered.objects[1]["metadata"]["labels"], rendered.objects[0]["metadata"]["labels"]);
  // Only the uid was assumed (an nfInstanceId was given).
  EXPECT_EQ(rendered.notes.size(), 1u);
}

TEST(Render, NoKeyMaterialInAnyOutput) {
  const auto resources =
      samples({"amf.yaml", "ausf.yaml", "nrf.yaml", "sepp.yaml", "smf.yaml", "upf.yaml"});
  for (const auto& profile : resources.profiles) {
    const auto rendered = render_profile(profile.value, {});
    const auto yaml = objects_to_yaml(rendered.objects);
    EXPECT_EQ(yaml.find("PRIVATE KEY"), std::string::npos) << profile.value.metadata.name;
    EXPECT_EQ(yaml.find("PLACEHOLDER"), std::string::npos) << profile.value.metadata.name;
    for (const auto& object : rendered.objects) {
      if (object["kind"] != "Secret") continue;
      for (const auto& [key, value] : object["data"].items()) {
        EXPECT_EQ(value, "") << object_name(object) << " " << key;
      }
    }
  }
}

TEST(Render, NrfSigningAndN32SecretsOfTheSamples) {
  const auto resources = samples({"nrf.yaml", "sepp.yaml"});
  std::vector<std::string> all;
  for (const auto& profile : resources.profiles) {
    for (const auto& n : names_of(render_profile(profile.value, {}).objects)) all.push_back(n);
  }
  EXPECT_NE(std::find(all.begin(), all.end(), "Secret 5gc/nrf-oauth2-signing"), all.end())
      << testing::PrintToString(all);
}

TEST(Render, YamlStreamAndJsonList) {
  const auto resources = samples({"smf.yaml"});
  const auto rendered = render_profile(resources.profiles.at(0).value, {});
  const auto yaml = objects_to_yaml(rendered.objects);
  const auto back = yaml::parse_documents(yaml);
  ASSERT_EQ(back.documents.size(), rendered.objects.size());
  for (std::size_t i = 0; i < rendered.objects.size(); ++i) {
    EXPECT_EQ(back.documents[i].value, rendered.objects[i]);
  }
  const auto list = objects_to_list(rendered.objects);
  EXPECT_EQ(list["kind"], "List");
  EXPECT_EQ(list["items"].size(), rendered.objects.size());
}

TEST(Render, PlaceholdersAreSaid) {
  const auto resources = samples({"smf.yaml"});  // no nfInstanceId
  const auto rendered = render_profile(resources.profiles.at(0).value, {});
  ASSERT_EQ(rendered.notes.size(), 2u);
  EXPECT_NE(rendered.notes[1].find("--nf-instance-id"), std::string::npos);
}

}  // namespace
}  // namespace secprov::ctl
