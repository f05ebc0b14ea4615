// Issue 8 defect 3: the two ends of an IPsec link, both SecurityProfiles, get configurations
// that agree, as the operator writes them into the real control plane: each side's local.id
// is the other's remote.id and a dNSName SAN of its own issued certificate, the auth methods
// are equal, and a PreSharedKey link holds one PSK on both sides (derived from the trust
// domain's CA key), repaired to that value when edited. PSKs are compared, never printed.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/certificate.h"
#include "crypto/encoding.h"
#include "operator_fixture.h"
#include "support/samples.h"
#include "support/swanctl.h"

namespace secprov::testing {
namespace {

using kube::Json;

class IpsecLinkTest : public OperatorTest {
 protected:
  // A sample profile in the test's namespace under the test's trust domain.
  std::string sample(const std::string& file) const {
    std::istringstream lines(read_text(cluster_paths().source_dir / "deploy" / "samples" / file));
    std::string out;
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("  namespace:", 0) == 0) continue;
      if (line == "    name: mnc001-mcc001") line = "    name: " + trust_domain_;
      out += line + "\n";
    }
    return out;
  }
  // `name` with one N4 interface to the profile `peer` (no remoteId).
  std::string n4_profile(const std::string& name, const std::string& nf_type,
                         const std::string& local, const std::string& peer,
                         const std::string& peer_address, const std::string& authentication) const {
    return "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: " + name +
           "\nspec:\n  nfType: " + nf_type + "\n  selector:\n    matchLabels: {app: " + name +
           "}\n  trustDomainRef:\n    name: " + trust_domain_ +
           "\n  sbi:\n    tls:\n      mode: TLS\n  ipsec:\n    interfaces:\n"
           "      - name: N4\n        localAddress: " +
           local + "\n        peers:\n          - name: " + peer +
           "\n            address: " + peer_address +
           "\n        authentication: " + authentication + "\n";
  }
  bool ready(const std::string& name) { return profile_condition(name, "Ready", "True"); }
  std::string swanctl(const std::string& profile_name) {
    return decode(secret(profile_name + "-ipsec"), "swanctl.conf");
  }
  std::vector<std::string> dns_sans(const std::string& profile_name) {
    const auto chain =
        crypto::Certificate::parse_chain(decode(secret(profile_name + "-tls"), "tls.crt"));
    return chain.empty() ? std::vector<std::string>{} : chain.front().dns_names();
  }
  // Each side's local.id is the other's remote.id and a DNS SAN of its own certificate;
  // both sides use `auth`.
  void expect_agreement(const std::string& a, const std::string& a_connection, const std::string& b,
                        const std::string& b_connection, const std::string& auth) {
    const std::string conf_a = swanctl(a);
    const std::string conf_b = swanctl(b);
    const auto ca = swanctl_connection(conf_a, a_connection);
    const auto cb = swanctl_connection(conf_b, b_connection);
    ASSERT_FALSE(ca.local_id.empty()) << conf_a;
    ASSERT_FALSE(cb.local_id.empty()) << conf_b;
    EXPECT_EQ(ca.local_id, cb.remote_id) << conf_a << conf_b;
    EXPECT_EQ(cb.local_id, ca.remote_id) << conf_a << conf_b;
    for (const auto* c : {&ca, &cb}) {
      EXPECT_EQ(c->local_auth, auth);
      EXPECT_EQ(c->remote_auth, auth);
    }
    EXPECT_EQ(ca.mode, cb.mode);
    const auto sans_a = dns_sans(a);
    const auto sans_b = dns_sans(b);
    EXPECT_NE(std::find(sans_a.begin(), sans_a.end(), ca.local_id), sans_a.end()) << ca.local_id;
    EXPECT_NE(std::find(sans_b.begin(), sans_b.end(), cb.local_id), sans_b.end()) << cb.local_id;
  }
};

// The SMF and UPF samples, as shipped, describe one N4 link that IKE accepts both ways.
TEST_F(IpsecLinkTest, SmfAndUpfSamplesAgreeOnN4Identities) {
  create_trust_domain();
  start_operator("op");
  std::string output;
  ASSERT_EQ(apply_yaml(sample("smf.yaml"), &output), 0) << output;
  ASSERT_EQ(apply_yaml(sample("upf.yaml"), &output), 0) << output;
  ASSERT_TRUE(eventually([&] { return ready("smf") && ready("upf"); }, std::chrono::seconds(90)))
      << operators_[0]->log() << profile("smf")["status"].dump(2)
      << profile("upf")["status"].dump(2);
  expect_agreement("smf", "n4-upf", "upf", "n4-smf", "pubkey");
}

// A PreSharedKey link between two profiles: the same IDs rule, and one PSK on both ends,
// restored when one side's copy is edited.
TEST_F(IpsecLinkTest, PreSharedKeyLinkHoldsOneKeyOnBothEnds) {
  create_trust_domain();
  start_operator("op");
  std::string output;
  ASSERT_EQ(apply_yaml(n4_profile("smf", "SMF", "10.10.4.1", "upf", "10.10.4.2", "PreSharedKey"),
                       &output),
            0)
      << output;
  ASSERT_EQ(apply_yaml(n4_profile("upf", "UPF", "10.10.4.2", "smf", "10.10.4.1", "PreSharedKey"),
                       &output),
            0)
      << output;
  ASSERT_TRUE(eventually([&] { return ready("smf") && ready("upf"); }, std::chrono::seconds(90)))
      << operators_[0]->log();
  expect_agreement("smf", "n4-upf", "upf", "n4-smf", "psk");

  const auto smf = secret("smf-ipsec");
  const auto upf = secret("upf-ipsec");
  ASSERT_TRUE(smf["data"].contains("psk-n4-upf") && upf["data"].contains("psk-n4-smf"));
  const std::string smf_psk = decode(smf, "psk-n4-upf");
  EXPECT_GE(smf_psk.size(), 32U);
  // Compared without printing: PSKs.
  EXPECT_TRUE(smf_psk == decode(upf, "psk-n4-smf")) << "the two ends hold different PSKs";
  const auto c_smf = swanctl_connection(swanctl("smf"), "n4-upf");
  const auto c_upf = swanctl_connection(swanctl("upf"), "n4-smf");
  EXPECT_TRUE(!c_smf.psk_secret.empty() && c_smf.psk_secret == c_upf.psk_secret)
      << "swanctl.conf secrets differ";
  EXPECT_EQ(c_smf.psk_id, c_smf.remote_id);
  EXPECT_EQ(c_upf.psk_id, c_upf.remote_id);

  // One side's copy edited: repaired to the link's PSK, the one the other side holds.
  client_->merge_patch(kube::resources::secrets(), namespace_, "upf-ipsec",
                       {{"data", {{"psk-n4-smf", crypto::base64_encode("edited")}}}});
  EXPECT_TRUE(eventually([&] {
    const auto now = secret("upf-ipsec");
    return now["data"].contains("psk-n4-smf") && decode(now, "psk-n4-smf") == smf_psk;
  })) << "the edited PSK was not restored to the link's PSK";
  EXPECT_TRUE(decode(secret("smf-ipsec"), "psk-n4-upf") == smf_psk);
}

}  // namespace
}  // namespace secprov::testing
