// secprovctl diff: the comparison, and the kubectl subprocess through a stand-in kubectl.
#include "cmd/secprovctl/diff_command.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>

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

// A Secret's values as the cluster holds them: never compared, never printed.
const nlohmann::json kSecretValues = {
    {"tls.crt", "Y2VydA=="}, {"tls.key", "c2VjcmV0"}, {"ca.crt", "Y2E="}};

nlohmann::json edited(nlohmann::json object, const std::function<void(nlohmann::json&)>& edit) {
  edit(object);
  return object;
}

struct Comparison {
  std::string name;
  nlohmann::json rendered;
  std::optional<nlohmann::json> cluster;  // nullopt: not in the cluster
  std::vector<std::string> lines;
  // gtest prints the parameter of a failing case: its name, not the struct's bytes.
  friend void PrintTo(const Comparison& comparison, std::ostream* os) { *os << comparison.name; }
};

class CompareObject : public testing::TestWithParam<Comparison> {};

TEST_P(CompareObject, LinesNameTheObjectAndTheKeyNeverASecretValue) {
  const auto& c = GetParam();
  const auto lines = compare_object(c.rendered, c.cluster ? &*c.cluster : nullptr);
  EXPECT_EQ(lines, c.lines);
  for (const auto& line : lines) {
    for (const auto& [key, value] : kSecretValues.items()) {
      EXPECT_EQ(line.find(value.get<std::string>()), std::string::npos) << line;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CompareObject,
    testing::Values(
        Comparison{"ConfigMapSame", kConfigMap, kConfigMap, {}},
        Comparison{"SecretValuesNotCompared",
                   kSecret,
                   edited(kSecret, [](auto& o) { o["data"] = kSecretValues; }),
                   {}},
        Comparison{"ConfigMapValueNamesKeyAndLine",
                   kConfigMap,
                   edited(kConfigMap, [](auto& o) { o["data"]["security.yaml"] = "a: 1\nb: 3\n"; }),
                   {"ConfigMap 5gc/smf-security: data[security.yaml] differs at line 2: rendered "
                    "\"b: 2\", cluster \"b: 3\""}},
        Comparison{"MissingAndExtraKeys",
                   kConfigMap,
                   edited(kConfigMap,
                          [](auto& o) {
                            o["data"].erase("open5gs.yaml");
                            o["data"]["extra"] = "1";
                          }),
                   {"ConfigMap 5gc/smf-security: data[extra] in the cluster, not rendered",
                    "ConfigMap 5gc/smf-security: data[open5gs.yaml] missing in the cluster"}},
        Comparison{
            "MissingObject", kSecret, std::nullopt, {"Secret 5gc/smf-tls: missing in the cluster"}},
        Comparison{"SecretKeyMissing",
                   kSecret,
                   edited(kSecret,
                          [](auto& o) {
                            o["data"] = kSecretValues;
                            o["data"].erase("ca.crt");
                          }),
                   {"Secret 5gc/smf-tls: data[ca.crt] missing in the cluster"}}),
    [](const auto& param_info) { return param_info.param.name; });

// One SecurityProfile 5gc/smf, as a manifest file holds it.
Resources smf_manifest() {
  Manifests manifests;
  add_manifest_text(manifests, "smf.yaml", R"(apiVersion: secprov.io/v1alpha1
kind: SecurityProfile
metadata: {name: smf, namespace: 5gc}
spec:
  nfType: SMF
  selector: {matchLabels: {app: smf}}
  trustDomainRef: {name: td}
)");
  return parse_resources(manifests);
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
  const auto resources = smf_manifest();
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
  DiffOptions options;
  options.kubectl = (dir_ / "missing-kubectl").string();
  const auto result = diff_profiles(smf_manifest().profiles, options);
  EXPECT_EQ(result.exit_code, 2);
  ASSERT_FALSE(result.lines.empty());
  EXPECT_NE(result.lines[0].find("kubectl failed (exit 127)"), std::string::npos)
      << result.lines[0];
}

}  // namespace
}  // namespace secprov::ctl
