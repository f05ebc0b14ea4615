// Issue 8: every free5gc.yaml the operator writes is accepted by free5GC's own config
// validator. The samples (and the AMF sample with outputs.free5gc on, for a consumer NF, once
// natively and once behind the enabler sidecar) are provisioned by secprov-operator against
// the real control plane; each ConfigMap's free5gc.yaml is written as it is to a directory
// and handed to tests/consumers/free5gc's program, which merges it into the NF's stock sample
// config and runs that NF's pkg/factory (InitConfigFactory + Config.Validate, as the NF does
// at start-up).
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "api/enums.h"
#include "api/securityprofile.h"
#include "operator_fixture.h"
#include "render/names.h"
#include "support/samples.h"

namespace secprov::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

fs::path module_dir() {
  return cluster_paths().source_dir / "tests" / "consumers" / "free5gc";
}

fs::path validator_binary() {
  return cluster_paths().binary_dir / "bin" / "free5gc-validate";
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The AMF sample made to render free5GC too: a consumer NF for the validator. Empty if the
// sample has neither an outputs: nor a driftPolicy: line to anchor it.
std::string with_free5gc_output(const std::string& yaml) {
  std::string out = yaml;
  if (const auto outputs = out.find("\n  outputs:\n"); outputs != std::string::npos) {
    if (out.find("\n    free5gc: true") != std::string::npos) return out;
    if (const auto off = out.find("\n    free5gc: false"); off != std::string::npos) {
      return out.replace(off, std::string("\n    free5gc: false").size(), "\n    free5gc: true");
    }
    out.insert(outputs + std::string("\n  outputs:").size(), "\n    free5gc: true");
    return out;
  }
  const auto at = out.find("\n  driftPolicy:");
  if (at == std::string::npos) return {};
  out.insert(at, "\n  outputs:\n    free5gc: true");
  return out;
}

// The free5GC AMF made to sit behind the enabler sidecar (inbound, and outbound to the NRF its
// nrfApiRoot names): its free5gc.yaml binds h2c on 127.0.0.1 and dials the NRF through the
// enabler. Its own name, nfInstanceId and selector, so it stands next to the AMF sample.
std::string behind_the_enabler(const std::string& free5gc_amf) {
  std::string out = free5gc_amf;
  const auto replace = [&out](const std::string& from, const std::string& to) {
    const auto at = out.find(from);
    if (at == std::string::npos) return false;
    out.replace(at, from.size(), to);
    return true;
  };
  if (!replace("\n  name: amf\n", "\n  name: amf-enabler\n") ||
      !replace("app.kubernetes.io/name: amf\n", "app.kubernetes.io/name: amf-enabler\n") ||
      !replace("nfInstanceId: 6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31",
               "nfInstanceId: 6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e32")) {
    return {};
  }
  const auto at = out.find("\n  driftPolicy:");
  if (at == std::string::npos) return {};
  out.insert(at,
             "\n  enabler:\n    mode: Sidecar\n    inbound:\n      port: 8000\n      tlsPort: 8443"
             "\n    outbound:\n      - name: nrf\n        localPort: 9002"
             "\n        host: nrf.5gc.svc.cluster.local\n        port: 443");
  return out;
}

class Free5gcValidatorTest : public OperatorTest {
 protected:
  // Built once per process (seconds when up to date: scripts/install-deps.sh builds it).
  static void SetUpTestSuite() {
    std::string output;
    build_rc_ = run_command(
        (module_dir() / "build.sh").string() + " " + validator_binary().string(), &output);
    build_output_ = output;
  }

  void SetUp() override {
    OperatorTest::SetUp();
    ASSERT_EQ(build_rc_, 0) << "building the free5GC validator failed:\n" << build_output_;
  }

  void TearDown() override {
    std::error_code ignored;
    if (!work_.empty()) fs::remove_all(work_, ignored);
    OperatorTest::TearDown();
  }

  // Runs the validator on `args`; returns its exit code, its report in `output`.
  static int validate(const std::string& args, std::string* output) {
    return run_command(validator_binary().string() + " " + args, output);
  }

  static inline int build_rc_ = -1;
  static inline std::string build_output_;
  fs::path work_;
};

// The Go unit tests of the validator itself, among them the hand-made bad rendering
// (rootcert without key) that the NRF's factory must reject.
TEST_F(Free5gcValidatorTest, GoUnitTestsPass) {
  std::string output;
  const int rc =
      run_command("cd " + module_dir().string() +
                      " && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go test -count=1 ./...",
                  &output);
  EXPECT_EQ(rc, 0) << output;
}

// The binary the test below relies on fails on a broken rendering, naming the file and the
// factory's message.
TEST_F(Free5gcValidatorTest, RejectsRootcertWithoutKey) {
  const auto bad = module_dir() / "testdata" / "bad" / "nrf_rootcert-without-key.yaml";
  std::string output;
  EXPECT_EQ(validate(bad.string(), &output), 1) << output;
  EXPECT_NE(output.find("FAIL " + bad.string() + ": invalid RootCert.Key: non zero value required"),
            std::string::npos)
      << output;
}

TEST_F(Free5gcValidatorTest, EveryRenderedFree5gcYamlOfTheSamplesIsAccepted) {
  work_ = cluster_paths().binary_dir / "it" / ("free5gc-" + namespace_);
  fs::create_directories(work_);
  const auto samples = cluster_paths().source_dir / "deploy" / "samples";
  std::string domain_yaml;
  std::vector<std::string> profile_yamls;
  for (const auto& entry : fs::directory_iterator(samples)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".yaml") continue;
    auto text = read_text(entry.path());
    if (text.find("\nkind: TrustDomain") != std::string::npos) {
      domain_yaml = std::move(text);
    } else if (text.find("\nkind: SecurityProfile") != std::string::npos) {
      if (metadata_name(text) == "amf") {
        const auto amf = with_free5gc_output(text);
        ASSERT_FALSE(amf.empty()) << "the AMF sample changed shape:\n" << text;
        const auto fronted = behind_the_enabler(amf);
        ASSERT_FALSE(fronted.empty()) << "the AMF sample changed shape:\n" << text;
        profile_yamls.push_back(amf);
        profile_yamls.push_back(fronted);
      } else {
        profile_yamls.push_back(std::move(text));
      }
    }
  }
  ASSERT_FALSE(domain_yaml.empty());
  ASSERT_GE(profile_yamls.size(), 5u) << "samples missing from " << samples;
  const auto sample_domain = metadata_name(domain_yaml);
  trust_domain_ = ("td-" + namespace_).substr(0, 60);

  start_operator("op");
  std::string output;
  ASSERT_EQ(apply_yaml(localized(domain_yaml, sample_domain, trust_domain_), &output), 0) << output;
  std::vector<std::string> names;
  for (const auto& yaml : profile_yamls) {
    names.push_back(metadata_name(yaml));
    ASSERT_EQ(apply_yaml(localized(yaml, sample_domain, trust_domain_), &output), 0) << output;
  }
  for (const auto& name : names) {
    ASSERT_TRUE(eventually([&] { return profile_condition(name, "Ready", "True"); }, 90s))
        << name << ": " << profile(name)["status"].dump(2) << operators_[0]->log();
  }

  // Each ConfigMap's free5gc.yaml as the operator wrote it, named <nf>_<profile>.yaml.
  std::map<std::string, std::string> written;  // file -> NF type
  for (const auto& name : names) {
    const auto parsed = api::parse_security_profile(profile(name));
    ASSERT_TRUE(parsed.ok()) << name;
    const auto& spec = parsed.value();
    if (!spec.spec.outputs.free5gc) continue;
    const auto cm = config_map(render::config_map_name(spec));
    const std::string key(render::kFree5gcYamlKey);
    ASSERT_TRUE(cm.contains("data") && cm["data"].contains(key)) << name << ": " << cm.dump(2);
    const auto nf = lower(api::to_string(spec.spec.nf_type));
    const auto file = work_ / (nf + "_" + name + ".yaml");
    write_text(file, cm["data"][key].get<std::string>());
    written[file.string()] = nf;
  }
  std::map<std::string, int> per_type;
  for (const auto& [file, nf] : written) ++per_type[nf];
  EXPECT_GE(per_type["nrf"], 1) << "no NRF sample renders free5gc.yaml";
  EXPECT_GE(per_type["amf"], 2) << "the AMF profiles rendered no free5gc.yaml";
  // The one behind the enabler really is rendered for it (h2c on the loopback, the NRF
  // through the enabler), so the validator sees that shape.
  const auto fronted_file = work_ / "amf_amf-enabler.yaml";
  ASSERT_TRUE(written.contains(fronted_file.string()));
  const auto fronted = read_text(fronted_file);
  EXPECT_NE(fronted.find("bindingIPv4: \"127.0.0.1\""), std::string::npos) << fronted;
  EXPECT_NE(fronted.find("nrfUri: http://127.0.0.1:9002"), std::string::npos) << fronted;

  output.clear();
  EXPECT_EQ(validate(work_.string(), &output), 0) << output;
  for (const auto& [file, nf] : written) {
    EXPECT_NE(output.find("OK " + file + ": accepted by"), std::string::npos)
        << file << " was not accepted:\n"
        << output << "\n"
        << read_text(file);
  }
}

}  // namespace
}  // namespace secprov::testing
