// secprovctl against the real control plane (issue 11): `render` prints what the operator
// writes (ConfigMap data equal, Secret skeletons with the same keys), and `diff` reads the
// cluster through kubectl: 0 when in sync, 1 naming a ConfigMap edited behind its back.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <set>
#include <utility>

#include "operator_fixture.h"
#include "support/process.h"
#include "support/samples.h"

namespace secprov::testing {
namespace {

using kube::Json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

class SecprovctlTest : public OperatorTest {
 protected:
  fs::path secprovctl() const {
    return cluster_paths().binary_dir / "operator" / "cmd" / "secprovctl" / "secprovctl";
  }
  fs::path work_dir() const {
    return cluster_paths().binary_dir / "it" / "secprovctl" / namespace_;
  }
  // Runs secprovctl; stdout in `out`, stderr kept apart (notes must not mix with the YAML).
  int run(const std::string& args, std::string* out, std::string* err = nullptr) {
    auto result = run_command_apart("KUBECTL='" + cluster_paths().kubectl.string() + "' '" +
                                        secprovctl().string() + "' " + args,
                                    work_dir() / "stderr");
    *out = std::move(result.out);
    if (err) *err = std::move(result.err);
    return result.code;
  }
};

std::set<std::string> keys(const Json& data) {
  std::set<std::string> out;
  if (!data.is_object()) return out;
  for (const auto& [key, value] : data.items()) out.insert(key);
  return out;
}

TEST_F(SecprovctlTest, RenderEqualsWhatTheOperatorWroteAndDiffSeesAnEdit) {
  const auto samples = cluster_paths().source_dir / "deploy" / "samples";
  const auto domain_yaml = read_text(samples / "trustdomain.yaml");
  const auto sample_domain = metadata_name(domain_yaml);
  trust_domain_ = ("td-" + namespace_).substr(0, 60);
  const auto domain_file = work_dir() / "trustdomain.yaml";
  const auto profile_file = work_dir() / "amf.yaml";
  write_text(domain_file, localized(domain_yaml, sample_domain, trust_domain_));
  write_text(profile_file,
             localized(read_text(samples / "amf.yaml"), sample_domain, trust_domain_));

  start_operator("op");
  std::string output;
  ASSERT_EQ(apply_yaml(read_text(domain_file), &output), 0) << output;
  ASSERT_EQ(apply_yaml(read_text(profile_file), &output), 0) << output;
  ASSERT_TRUE(eventually([&] { return profile_condition("amf", "Ready", "True"); }, 90s))
      << profile("amf")["status"].dump(2) << operators_[0]->log();

  // 1. render: the same objects, the ConfigMap's data equal, the Secrets' keys equal.
  std::string err;
  ASSERT_EQ(run("render -o json -n " + namespace_ + " -f '" + profile_file.string() +
                    "' --trust-domain '" + domain_file.string() + "'",
                &output, &err),
            0)
      << output << err;
  const auto list = Json::parse(output);
  std::set<std::string> rendered_names;
  for (const auto& object : list.at("items")) {
    const auto kind = object.at("kind").get<std::string>();
    const auto name = object.at("metadata").at("name").get<std::string>();
    EXPECT_EQ(object["metadata"]["namespace"], namespace_) << name;
    rendered_names.insert(kind + " " + name);
    if (kind == "ConfigMap") {
      EXPECT_EQ(object.at("data"), config_map(name).at("data")) << name;
    } else {
      const auto written = secret(name);
      EXPECT_EQ(keys(object.at("data")), keys(written.at("data"))) << name;
      for (const auto& [key, value] : object.at("data").items()) {
        EXPECT_EQ(value, "") << name << " " << key << ": key material rendered";
      }
      EXPECT_EQ(object["type"], written["type"]) << name;
    }
    // Labels as the operator wrote them.
    const auto written = kind == "ConfigMap" ? config_map(name) : secret(name);
    EXPECT_EQ(object["metadata"]["labels"], written["metadata"]["labels"]) << name;
  }
  EXPECT_EQ(rendered_names, (std::set<std::string>{"ConfigMap amf-security", "Secret amf-tls",
                                                   "Secret amf-ipsec"}));
  // Nothing secret on any output stream.
  EXPECT_EQ(output.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(err.find("PRIVATE KEY"), std::string::npos);

  // 2. diff against the cluster through kubectl: in sync.
  const std::string diff_args = "diff -n " + namespace_ + " -f '" + profile_file.string() +
                                "' --kubeconfig '" + cluster_paths().admin_kubeconfig.string() +
                                "'";
  ASSERT_EQ(run(diff_args, &output, &err), 0) << output << err;
  EXPECT_EQ(output, "no differences\n");

  // 3. An edit the operator does not repair (it is stopped: driftPolicy Enforce would put
  // the data back) is a difference naming the ConfigMap and the key.
  operators_[0]->signal(SIGTERM);
  ASSERT_TRUE(operators_[0]->wait_for(15s));
  client_->merge_patch(kube::resources::config_maps(), namespace_, "amf-security",
                       {{"data", {{"security.yaml", "edited: true\n"}}}});
  ASSERT_EQ(run(diff_args, &output, &err), 1) << output << err;
  EXPECT_NE(output.find("ConfigMap " + namespace_ + "/amf-security: data[security.yaml] differs"),
            std::string::npos)
      << output;
  EXPECT_EQ(output.find("Secret"), std::string::npos) << output;

  // 4. A Secret key removed: named, its values never printed.
  const auto tls = secret("amf-tls");
  client_->merge_patch(kube::resources::secrets(), namespace_, "amf-tls",
                       {{"data", {{"ca.crt", nullptr}}}});
  ASSERT_EQ(run(diff_args, &output, &err), 1) << output << err;
  EXPECT_NE(output.find("Secret " + namespace_ + "/amf-tls: data[ca.crt] missing in the cluster"),
            std::string::npos)
      << output;
  EXPECT_EQ(output.find(tls["data"].value("tls.key", std::string("-"))), std::string::npos);
}

}  // namespace
}  // namespace secprov::testing
