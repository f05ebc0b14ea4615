// Issue 8 defects 5 and 6 (admission): the real apiserver refuses weak or unparseable IPsec
// proposals (null, SHA-1, MODP-1536, tokens strongSwan does not know, proposals strongSwan
// discards), PreSharedKey on N2/N3 unless allowPreSharedKey says so, OAuth2 without TLS and
// scopes that are not TS 29.510 service names. Each invalid sample of deploy/samples/invalid is
// created through the fixture's client: the apiserver names the field, with the very messages
// the API layer gives for the same document on the same field. What the rules allow (AES-CBC
// with SHA-2, ESP without PFS, a PSK on N3 the interface accepts, finer-grained scopes) is
// admitted by both.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "api/securityprofile.h"
#include "operator_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;

struct InvalidSample {
  std::string file;
  std::string field;  // as both the apiserver and the API layer name it
};

const std::vector<InvalidSample> kSamples = {
    {"weak-ike.yaml", "spec.ipsec.interfaces[0].ike.proposals[0]"},
    {"esp-null.yaml", "spec.ipsec.interfaces[0].esp.proposals[0]"},
    {"ike-sha1.yaml", "spec.ipsec.interfaces[0].ike.proposals[0]"},
    {"ike-modp1536.yaml", "spec.ipsec.interfaces[0].ike.proposals[0]"},
    {"ike-unknown-token.yaml", "spec.ipsec.interfaces[0].ike.proposals[0]"},
    {"ike-no-encryption.yaml", "spec.ipsec.interfaces[0].ike.proposals[0]"},
    {"esp-gcm-with-cbc.yaml", "spec.ipsec.interfaces[0].esp.proposals[0]"},
    {"esp-cbc-no-integrity.yaml", "spec.ipsec.interfaces[0].esp.proposals[0]"},
    {"esp-gcm-with-integrity.yaml", "spec.ipsec.interfaces[0].esp.proposals[0]"},
    {"ike-gcm-no-prf.yaml", "spec.ipsec.interfaces[0].ike.proposals[0]"},
    {"ike-no-dh.yaml", "spec.ipsec.interfaces[0].ike.proposals[0]"},
    {"psk-on-n2.yaml", "spec.ipsec.interfaces[0].authentication"},
    {"oauth2-without-tls.yaml", "spec.sbi.oauth2.enabled"},
    {"unknown-scope.yaml", "spec.sbi.oauth2.scopes[1]"},
};

class AdmissionRulesTest : public OperatorTest {
 protected:
  // The sample as JSON (kubectl's own YAML decoding, no server involved), in the test's
  // namespace and on the test's TrustDomain name.
  Json sample(const std::string& file) {
    const auto path = cluster_paths().source_dir / "deploy" / "samples" / "invalid" / file;
    std::string output;
    const int rc =
        run_command(cluster_paths().kubectl.string() + " --kubeconfig " +
                        cluster_paths().admin_kubeconfig.string() +
                        " create --dry-run=client -o json -f " + path.string() + " 2>/dev/null",
                    &output);
    EXPECT_EQ(rc, 0) << file << ": " << output;
    Json doc = Json::parse(output);
    doc["metadata"]["namespace"] = namespace_;
    return doc;
  }

  // Creates `doc` through the fixture's client; the causes of the refusal (empty: admitted).
  std::vector<kube::StatusCause> create(const Json& doc, bool* refused) {
    try {
      client_->create(kube::resources::security_profiles(), namespace_, doc);
      *refused = false;
      return {};
    } catch (const kube::ApiError& e) {
      *refused = true;
      EXPECT_EQ(e.kind(), kube::ErrorKind::Invalid) << e.what();
      return e.causes();
    }
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

std::string dump(const std::vector<kube::StatusCause>& causes) {
  std::string out;
  for (const auto& c : causes) out += "  " + c.field + ": " + c.message + "\n";
  return out.empty() ? "  (none)\n" : out;
}

std::string dump(const api::FieldErrors& errs) {
  std::string out;
  for (const auto& e : errs) out += "  " + e.message() + "\n";
  return out.empty() ? "  (none)\n" : out;
}

TEST_F(AdmissionRulesTest, TheApiserverAndTheApiLayerRefuseEachSampleWithTheSameMessages) {
  for (const auto& [file, field] : kSamples) {
    const Json doc = sample(file);
    const std::string name = doc["metadata"]["name"];
    // The API layer: errors on the sample's field only.
    const auto errs = api::check_security_profile(doc);
    ASSERT_FALSE(errs.empty()) << file << " passes the API layer";
    for (const auto& e : errs) EXPECT_EQ(e.field, field) << file << ": " << e.message();
    // The apiserver: refused, on the same field, each API reason among its messages and no
    // cause the API layer does not give.
    bool refused = false;
    const auto causes = create(doc, &refused);
    ASSERT_TRUE(refused) << file << " was admitted";
    EXPECT_FALSE(stored(name)) << file;
    for (const auto& e : errs) {
      const bool said = std::any_of(causes.begin(), causes.end(), [&](const kube::StatusCause& c) {
        return c.field == field && c.message.find(e.reason) != std::string::npos;
      });
      EXPECT_TRUE(said) << file << ": the apiserver did not say \"" << e.reason << "\"; it said\n"
                        << dump(causes);
    }
    EXPECT_EQ(causes.size(), errs.size()) << file << ":\napiserver\n"
                                          << dump(causes) << "API layer\n"
                                          << dump(errs);
  }
}

TEST_F(AdmissionRulesTest, WhatTheRulesAllowIsAdmittedByBoth) {
  Json doc = sample("psk-on-n2.yaml");
  doc["metadata"]["name"] = "amf-allowed";
  auto& n2 = doc["spec"]["ipsec"]["interfaces"][0];
  // A PSK on N2 that the interface accepts; AES-CBC with SHA-2 and AES-GCM with a PRF for IKE;
  // ESP without PFS; scopes with a finer-grained part; OAuth2 over TLS.
  n2["allowPreSharedKey"] = true;
  n2["ike"]["proposals"] = {"aes256-sha384-modp3072", "aes128gcm16-aes256gcm16-prfsha256-ecp256"};
  n2["esp"]["proposals"] = {"aes256gcm16", "aes128-sha256-modp4096"};
  doc["spec"]["sbi"]["oauth2"]["scopes"] = {"nnrf-disc", "nudm-sdm:am-data", "nsepp-telescopic"};
  doc["spec"]["sbi"]["tls"]["mode"] = "TLS";
  const auto errs = api::check_security_profile(doc);
  EXPECT_TRUE(errs.empty()) << dump(errs);
  bool refused = true;
  const auto causes = create(doc, &refused);
  EXPECT_FALSE(refused) << dump(causes);
  ASSERT_TRUE(stored("amf-allowed"));
  // The apiserver stores the flag; without it (its default false) the same document is refused.
  const Json stored_doc = profile("amf-allowed");
  EXPECT_EQ(stored_doc["spec"]["ipsec"]["interfaces"][0].value("allowPreSharedKey", false), true);
  Json without = doc;
  without["metadata"]["name"] = "amf-not-allowed";
  without["spec"]["ipsec"]["interfaces"][0].erase("allowPreSharedKey");
  create(without, &refused);
  EXPECT_TRUE(refused);
  EXPECT_FALSE(api::check_security_profile(without).empty());
  // A PSK on N4 needs no flag: the rule is for N2 and N3.
  Json n4 = without;
  n4["metadata"]["name"] = "amf-n4";
  n4["spec"]["ipsec"]["interfaces"][0]["name"] = "N4";
  EXPECT_TRUE(api::check_security_profile(n4).empty());
  create(n4, &refused);
  EXPECT_FALSE(refused);
}

}  // namespace
}  // namespace secprov::testing
