// Issue 8 defect 4: two peers of one interface with one traffic selector pair install one
// kernel policy (the second overwrites the first), and an IPv4 local address cannot reach an
// IPv6 peer. The real apiserver refuses such profiles (CEL), naming the field, and the API
// layer refuses the same documents. What CEL admits but the API layer refuses (one IPv6
// address in two spellings) the operator reports as Stalled/InvalidSpec naming the peer. The
// fixed profile is Ready, with one selector pair per peer in its swanctl.conf.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "api/securityprofile.h"
#include "operator_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;

struct RefusedCase {
  std::string what;
  Json interface;
  std::string field;      // as the apiserver names it
  std::string api_field;  // as the API layer names it (down to the peer)
  std::string text;       // part of the message, the same in the CRD and the API layer
};

Json peer(const std::string& name, const std::string& address) {
  return {{"name", name}, {"address", address}};
}

class IpsecSelectorsTest : public OperatorTest {
 protected:
  // A UPF profile with one N3 interface, as kubectl sends it.
  Json document(const std::string& name, Json n3) const {
    n3["name"] = "N3";
    return profile_document(name, "UPF",
                            {{"selector", {{"matchLabels", {{"app", "upf"}}}}},
                             {"sbi", {{"tls", {{"mode", "TLS"}}}}},
                             {"ipsec", {{"interfaces", Json::array({std::move(n3)})}}}});
  }
  bool stored(const std::string& name) {
    try {
      client_->get(kube::resources::security_profiles(), namespace_, name);
      return true;
    } catch (const kube::ApiError& e) {
      if (kube::is_not_found(e)) return false;
      throw;
    }
  }
};

bool has_error(const api::FieldErrors& errs, const std::string& field, const std::string& text) {
  for (const auto& e : errs) {
    if (e.field == field && e.reason.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST_F(IpsecSelectorsTest, SharedPolicyOrMixedFamiliesRefusedAndTheFixedProfileIsReady) {
  create_trust_domain();
  start_operator("op");

  Json shared = {{"peers", Json::array({peer("gnb-1", "10.10.3.11"), peer("gnb-2", "10.10.3.12")})},
                 {"trafficSelectors", {{"local", {"10.10.3.0/24"}}, {"remote", {"10.20.0.0/16"}}}}};
  const std::vector<RefusedCase> cases = {
      {"remote selectors shared by two peers", shared,
       "spec.ipsec.interfaces[0].trafficSelectors.remote", "spec.ipsec.interfaces[0].peers[1]",
       "trafficSelectors.remote applies to every peer"},
      {"two peers on one address",
       {{"peers", Json::array({peer("gnb-1", "10.10.3.11"), peer("gnb-2", "10.10.3.11")})}},
       "spec.ipsec.interfaces[0].peers",
       "spec.ipsec.interfaces[0].peers[1]",
       "must not have the same address"},
      {"IPv4 localAddress, IPv6 peer",
       {{"localAddress", "10.10.3.1"},
        {"peers", Json::array({peer("gnb-1", "10.10.3.11"), peer("gnb-2", "2001:db8:3::12")})}},
       "spec.ipsec.interfaces[0].peers",
       "spec.ipsec.interfaces[0].peers[1].address",
       "of the IP family of localAddress"},
  };
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const auto& c = cases[k];
    const Json doc = document("upf-bad-" + std::to_string(k), c.interface);
    std::string output;
    EXPECT_NE(apply_yaml(doc.dump(2), &output), 0) << c.what << " was accepted";
    EXPECT_NE(output.find(c.field), std::string::npos) << c.what << ": " << output;
    EXPECT_NE(output.find(c.text), std::string::npos) << c.what << ": " << output;
    EXPECT_FALSE(stored(doc["metadata"]["name"])) << c.what;
    EXPECT_TRUE(has_error(api::check_security_profile(doc), c.api_field, c.text)) << c.what;
  }

  // One IPv6 address in two spellings: CEL compares strings and admits it; the operator
  // refuses it naming the second peer, and writes no IPsec Secret.
  const Json spelled_twice = document(
      "upf", {{"localAddress", "2001:db8:3::1"},
              {"peers",
               Json::array({peer("gnb-1", "2001:db8:3::11"), peer("gnb-2", "2001:DB8:3:0::11")})}});
  std::string output;
  ASSERT_EQ(apply_yaml(spelled_twice.dump(2), &output), 0) << output;
  ASSERT_TRUE(eventually([&] { return profile_condition("upf", "Stalled", "True"); },
                         std::chrono::seconds(60)))
      << operators_[0]->log();
  const Json ready = condition("upf", "Ready");
  EXPECT_EQ(ready.value("status", ""), "False") << ready.dump();
  EXPECT_EQ(ready.value("reason", ""), "InvalidSpec") << ready.dump();
  EXPECT_NE(ready.value("message", "").find("spec.ipsec.interfaces[0].peers[1]:"),
            std::string::npos)
      << ready.dump();
  EXPECT_TRUE(has_error(api::check_security_profile(spelled_twice),
                        "spec.ipsec.interfaces[0].peers[1]", "same traffic selectors"));
  EXPECT_TRUE(gone(kube::resources::secrets(), "upf-ipsec"));

  // Fixed: each gNB on its own address. Ready, one selector pair per peer.
  const Json fixed = document(
      "upf",
      {{"localAddress", "2001:db8:3::1"},
       {"trafficSelectors", {{"local", {"2001:db8:3::/64"}}}},
       {"peers", Json::array({peer("gnb-1", "2001:db8:3::11"), peer("gnb-2", "2001:db8:3::12")})}});
  ASSERT_TRUE(api::check_security_profile(fixed).empty());
  ASSERT_EQ(apply_yaml(fixed.dump(2), &output), 0) << output;
  ASSERT_TRUE(eventually([&] { return profile_condition("upf", "Ready", "True"); },
                         std::chrono::seconds(60)))
      << operators_[0]->log() << profile("upf")["status"].dump(2);
  const std::string swanctl = decode(secret("upf-ipsec"), "swanctl.conf");
  for (const char* pair : {"        local_ts = 2001:db8:3::/64\n"
                           "        remote_ts = 2001:db8:3::11/128\n",
                           "        local_ts = 2001:db8:3::/64\n"
                           "        remote_ts = 2001:db8:3::12/128\n"}) {
    EXPECT_NE(swanctl.find(pair), std::string::npos) << pair << "\n" << swanctl;
  }
}

}  // namespace
}  // namespace secprov::testing
