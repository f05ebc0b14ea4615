// secprovctl diff: the comparison, and the kubectl subprocess through a stand-in kubectl.
#include "cmd/secprovctl/diff_command.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace secprov::ctl {
namespace {

namespace fs = std::filesystem;

const nlohmann::json kConfigMap = {
    {"apiVersion", "v1"},
    {"kind", "ConfigMap"},
    {"metadata", {{"name", "smf-security"}, {"namespace", "5gc"}}},
    {"data", {{"security.yaml", "a: 1\nb: 2\n"}, {"open5gs.yaml", "x\n"}}}};
const nlohmann::json kSecret = {{"apiVersion", "v1"},
                                {"kind", "Secret"},
                                {"metadata", {{"name", "smf-tls"}, {"namespace", "5gc"}}},
                                {"data", {{"tls.crt", ""}, {"tls.key", ""}, {"ca.crt", ""}}}};

TEST(CompareObject, SameIsEmpty) {
  EXPECT_TRUE(compare_object(kConfigMap, &kConfigMap).empty());
  auto cluster = kSecret;
  cluster["data"] = {{"tls.crt", "Y2VydA=="}, {"tls.key", "c2VjcmV0"}, {"ca.crt", "Y2E="}};
  EXPECT_TRUE(compare_object(kSecret, &cluster).empty());  // Secret values are not compared
}

TEST(CompareObject, ConfigMapValueNamesKeyAndLine) {
  auto cluster = kConfigMap;
  cluster["data"]["security.yaml"] = "a: 1\nb: 3\n";
  EXPECT_EQ(compare_object(kConfigMap, &cluster),
            (std::vector<std::string>{"ConfigMap 5gc/smf-security: data[security.yaml] differs "
                                      "at line 2: rendered \"b: 2\", cluster \"b: 3\""}));
}

TEST(CompareObject, MissingAndExtraKeysAndObjects) {
  auto cluster = kConfigMap;
  cluster["data"].erase("open5gs.yaml");
  cluster["data"]["extra"] = "1";
  EXPECT_EQ(compare_object(kConfigMap, &cluster),
            (std::vector<std::string>{
                "ConfigMap 5gc/smf-security: data[extra] in the cluster, not rendered",
                "ConfigMap 5gc/smf-security: data[open5gs.yaml] missing in the cluster"}));
  EXPECT_EQ(compare_object(kSecret, nullptr),
            (std::vector<std::string>{"Secret 5gc/smf-tls: missing in the cluster"}));
}

TEST(CompareObject, SecretValuesNeverPrinted) {
  auto cluster = kSecret;
  cluster["data"] = {{"tls.crt", "Y2VydA=="}, {"tls.key", "c2VjcmV0"}};
  const auto lines = compare_object(kSecret, &cluster);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "Secret 5gc/smf-tls: data[ca.crt] missing in the cluster");
  for (const auto& line : lines) EXPECT_EQ(line.find("c2VjcmV0"), std::string::npos);
}

// A kubectl stand-in: answers `get securityprofiles...` with a profile and `get configmap/...`
// with the file the test wrote.
class FakeKubectl : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("secprovctl-diff-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    script_ = dir_ / "kubectl";
    std::ofstream(script_) << "#!/bin/sh\n"
                              "echo \"$@\" >> '"
                           << (dir_ / "calls").string()
                           << "'\n"
                              "case \"$*\" in\n"
                              "  *securityprofiles*) cat '"
                           << (dir_ / "profile.json").string()
                           << "' ;;\n"
                              "  *) cat '"
                           << (dir_ / "objects.json").string()
                           << "' ;;\n"
                              "esac\n";
    fs::permissions(script_, fs::perms::owner_all);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const nlohmann::json& value) {
    std::ofstream(dir_ / name) << value.dump();
  }
  fs::path dir_;
  fs::path script_;
};

TEST_F(FakeKubectl, SameThenDifferent) {
  Manifests manifests;
  add_manifest_text(manifests, "smf.yaml", R"(apiVersion: secprov.io/v1alpha1
kind: SecurityProfile
metadata: {name: smf, namespace: 5gc}
spec:
  nfType: SMF
  selector: {matchLabels: {app: smf}}
  trustDomainRef: {name: td}
)");
  const auto resources = parse_resources(manifests);
  ASSERT_EQ(resources.profiles.size(), 1u);
  write("profile.json", {{"kind", "SecurityProfile"},
                         {"metadata", {{"name", "smf"}, {"namespace", "5gc"}, {"uid", "u-1"}}},
                         {"status", {{"nfInstanceId", "3f2a3a0e-0d5b-4b0e-9d7e-1f2a3b4c5d6e"}}}});
  // What the operator would have written: the render with the cluster's uid and id.
  auto profile = resources.profiles[0].value;
  profile.metadata.uid = "u-1";
  RenderInputs inputs;
  inputs.nf_instance_id = "3f2a3a0e-0d5b-4b0e-9d7e-1f2a3b4c5d6e";
  auto objects = render_profile(profile, inputs).objects;
  for (auto& o : objects) {
    if (o["kind"] == "Secret") {
      for (auto& [key, value] : o["data"].items()) value = "c2VjcmV0";
    }
  }
  write("objects.json", {{"kind", "List"}, {"items", objects}});
  DiffOptions options;
  options.kubectl = script_.string();
  options.kubeconfig = "/some/kubeconfig";
  auto result = diff_profiles(resources.profiles, options);
  EXPECT_EQ(result.exit_code, 0) << testing::PrintToString(result.lines);
  EXPECT_TRUE(result.lines.empty());
  std::ifstream calls(dir_ / "calls");
  std::string first;
  std::getline(calls, first);
  EXPECT_EQ(first,
            "--kubeconfig=/some/kubeconfig --namespace=5gc get securityprofiles.secprov.io smf "
            "--ignore-not-found -o json");

  objects[0]["data"]["security.yaml"] = "edited\n";
  write("objects.json", {{"kind", "List"}, {"items", objects}});
  result = diff_profiles(resources.profiles, options);
  EXPECT_EQ(result.exit_code, 1);
  ASSERT_EQ(result.lines.size(), 1u);
  EXPECT_TRUE(
      result.lines[0].starts_with("ConfigMap 5gc/smf-security: data[security.yaml] differs"))
      << result.lines[0];

  write("objects.json",
        nlohmann::json::object({{"kind", "List"}, {"items", nlohmann::json::array()}}));
  result = diff_profiles(resources.profiles, options);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.lines.front(), "ConfigMap 5gc/smf-security: missing in the cluster");
}

TEST_F(FakeKubectl, KubectlFailingIsAnError) {
  Manifests manifests;
  add_manifest_text(manifests, "smf.yaml", R"(apiVersion: secprov.io/v1alpha1
kind: SecurityProfile
metadata: {name: smf, namespace: 5gc}
spec:
  nfType: SMF
  selector: {matchLabels: {app: smf}}
  trustDomainRef: {name: td}
)");
  DiffOptions options;
  options.kubectl = (dir_ / "missing-kubectl").string();
  const auto result = diff_profiles(parse_resources(manifests).profiles, options);
  EXPECT_EQ(result.exit_code, 2);
  ASSERT_FALSE(result.lines.empty());
  EXPECT_NE(result.lines[0].find("kubectl failed (exit 127)"), std::string::npos)
      << result.lines[0];
}

}  // namespace
}  // namespace secprov::ctl
