// Issue 9, on the wire: the enabler's outbound TLS offers exactly the profile's groups.
// HAProxy 2.6 (Debian 12) has no server-side `curves`, so the operator writes openssl.cnf
// (system_default Groups, MinProtocol, MaxProtocol) next to haproxy.cfg in the profile's
// ConfigMap and the injection points OPENSSL_CONF at it. Here the AUSF sample is applied as
// shipped with one outbound peer on the loopback; exactly the written objects, each key at
// the path render::enabler_injection() mounts it and with the container's env, are run by a
// real HAProxy (support/haproxy.h). The peer is `openssl s_server` with the AUSF's issued
// certificate (it holds the name to verify), accepting a single group: a group of the profile
// gives a response, any other a refused handshake (503). The same configuration without
// OPENSSL_CONF offers OpenSSL's default groups and reaches the peer of a foreign group: the
// file is what restricts them.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/constants.h"
#include "api/securityprofile.h"
#include "operator_fixture.h"
#include "render/enabler.h"
#include "render/names.h"
#include "render/trust_domain.h"
#include "support/haproxy.h"
#include "support/samples.h"

namespace secprov::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr int kLocalPort = 9101;  // the NF's plaintext side of the outbound peer
constexpr int kPeerPort = 9443;   // the s_server

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class EnablerGroupsTest : public OperatorTest {
 protected:
  void TearDown() override {
    lab_.reset();
    std::error_code ignored;
    if (!work_.empty()) fs::remove_all(work_, ignored);  // test keys never outlive the test
    OperatorTest::TearDown();
  }

  std::string sample(const std::string& file) {
    return read_text(cluster_paths().source_dir / "deploy" / "samples" / file);
  }

  // ca.crl of the trust bundle ConfigMap, else of the domain's CRL ConfigMap.
  std::optional<std::string> published_crl() {
    for (const auto& name :
         {render::trust_bundle_name(trust_domain_), render::crl_config_map_name(trust_domain_)}) {
      const auto data = config_map(name).value("data", kube::Json::object());
      if (data.contains(std::string(render::kCrlKey))) {
        return data.at(std::string(render::kCrlKey)).get<std::string>();
      }
    }
    return std::nullopt;
  }

  // The NF's plain HTTP/2 request to the outbound port while an s_server accepting only
  // `group` (OpenSSL's name) listens on the peer port; the output ends with the server's log.
  struct Dial {
    int exit_code = -1;
    std::string output;
    bool answered() const { return exit_code == 0 && contains(output, "RESULT 2 200"); }
    bool refused() const { return contains(output, "RESULT 2 503"); }
  };
  Dial dial(const std::string& group) {
    const std::string tls(render::kEnablerTlsDir);
    const std::string command =
        "openssl s_server -accept 127.0.0.1:" + std::to_string(kPeerPort) + " -cert " + tls +
        "/tls.pem -key " + tls + "/tls.pem.key -groups " + group +
        " -www >/run/s_server.log 2>&1 & S=$!; "
        "for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/" +
        std::to_string(kPeerPort) +
        ") 2>/dev/null && break; sleep 0.1; done; "
        "curl -sS --max-time 10 --http2-prior-knowledge -o /dev/null "
        "-w 'RESULT %{http_version} %{http_code}\\n' http://127.0.0.1:" +
        std::to_string(kLocalPort) +
        "/; rc=$?; kill $S; wait $S 2>/dev/null; echo '--- s_server:'; cat /run/s_server.log; "
        "exit $rc";
    Dial d;
    d.exit_code = lab_->exec(command, &d.output);
    d.output = "group " + group + ":\n" + d.output;
    return d;
  }

  fs::path work_;
  std::optional<HaproxyLab> lab_;
};

TEST_F(EnablerGroupsTest, OutboundOffersExactlyTheProfilesGroups) {
  if (const auto why = haproxy_lab_unavailable()) GTEST_SKIP() << *why;
  const auto missing = haproxy_lab_missing_programs();
  ASSERT_TRUE(missing.empty()) << "missing: " << ::testing::PrintToString(missing)
                               << " (scripts/install-deps.sh installs them)";
  work_ = cluster_paths().binary_dir / "it" / ("enabler-groups-" + namespace_);
  fs::create_directories(work_);
  fs::permissions(work_, fs::perms::owner_all);

  // 1. The trust domain and the AUSF sample (Sidecar; groups X25519, secp256r1), its
  // outbound peers replaced by one on the loopback under the AUSF's own name.
  const std::string domain_yaml = sample("trustdomain.yaml");
  const auto sample_domain = metadata_name(domain_yaml);
  trust_domain_ = ("td-" + namespace_).substr(0, 60);
  start_operator("op");
  std::string output;
  for (const auto& yaml : {domain_yaml, sample("ausf.yaml")}) {
    ASSERT_EQ(apply_yaml(localized(yaml, sample_domain, trust_domain_), &output), 0) << output;
  }
  ASSERT_TRUE(eventually([&] { return profile_condition("ausf", "Ready", "True"); }, 90s))
      << profile("ausf")["status"].dump(2) << operators_[0]->log();
  auto ausf = api::parse_security_profile(profile("ausf"));
  ASSERT_TRUE(ausf.ok());
  const auto server_name = render::primary_dns_name(ausf.value());
  client_->merge_patch(kube::resources::security_profiles(), namespace_, "ausf",
                       {{"spec",
                         {{"enabler",
                           {{"outbound",
                             {{{"name", "peer"},
                               {"localPort", kLocalPort},
                               {"host", "127.0.0.1"},
                               {"port", kPeerPort},
                               {"serverName", server_name}}}}}}}}});
  const auto config_name = render::config_map_name(ausf.value());
  ASSERT_TRUE(eventually(
      [&] {
        const auto data = config_map(config_name).value("data", kube::Json::object());
        return contains(data.value(std::string(render::kHaproxyCfgKey), ""),
                        "server peer 127.0.0.1:" + std::to_string(kPeerPort)) &&
               data.contains(std::string(render::kOpensslCnfKey));
      },
      60s))
      << config_map(config_name).dump(2) << operators_[0]->log();
  ausf = api::parse_security_profile(profile("ausf"));
  ASSERT_TRUE(ausf.ok());
  const auto& groups = ausf.value().spec.sbi.tls.groups;

  // 2. Exactly the written objects at the injection's paths, and the container's env.
  const auto injection = render::enabler_injection(ausf.value(), "unused");
  std::map<std::string, HaproxyLab::File> files;
  for (const auto& volume : injection.volumes) {
    const auto object = volume.kind == "Secret" ? secret(volume.source) : config_map(volume.source);
    for (const auto& item : volume.items) {
      std::string content;
      if (volume.kind == "Secret") {
        content = decode(object, item.key);
      } else if (object.value("data", kube::Json::object()).contains(item.key)) {
        content = object.at("data").at(item.key).get<std::string>();
      } else if (item.key == render::kCrlKey) {
        content = published_crl().value_or("");
      }
      ASSERT_FALSE(content.empty()) << volume.source << "/" << item.key;
      files[volume.mount_path + "/" + item.path] = {content, static_cast<fs::perms>(item.mode)};
    }
  }
  ASSERT_TRUE(files.contains(std::string(render::kEnablerOpensslCnfFile)));
  std::vector<std::string> env;
  for (const auto& e : injection.env) env.push_back(e.name + "=" + e.value);
  ASSERT_EQ(
      env, std::vector<std::string>{"OPENSSL_CONF=" + std::string(render::kEnablerOpensslCnfFile)});
  lab_.emplace(work_ / "lab", files);
  const std::string config(render::kEnablerConfigFile);
  lab_->start_haproxy(config, kLocalPort, env);

  // 3. Each group of the allow-list alone at the peer: answered exactly when in the profile.
  std::optional<std::string> outside;
  for (const auto group : api::tls_group_allow_list()) {
    const std::string name(api::openssl_name(group));
    const bool in_profile = std::ranges::count(groups, group) > 0;
    if (!in_profile && !outside) outside = name;
    const auto d = dial(name);
    if (in_profile) {
      EXPECT_TRUE(d.answered()) << d.output << "\nhaproxy:\n" << lab_->haproxy_log();
    } else {
      EXPECT_FALSE(d.answered()) << d.output;
      EXPECT_TRUE(d.refused()) << d.output << "\nhaproxy:\n" << lab_->haproxy_log();
    }
  }
  ASSERT_TRUE(outside.has_value()) << "the sample allows every group";

  // 4. Control: the same configuration without OPENSSL_CONF offers OpenSSL's default groups
  // and reaches the peer of a group outside the profile.
  lab_->start_haproxy(config, kLocalPort);
  const auto d = dial(*outside);
  EXPECT_TRUE(d.answered()) << d.output << "\nhaproxy:\n" << lab_->haproxy_log();
}

}  // namespace
}  // namespace secprov::testing
