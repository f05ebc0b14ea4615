// Issue 6 §4, admission half: input the operator cannot render (a name that no Service can
// have, IPsec lifetimes that overflow, an IKE identity with a control character) is refused
// by the real apiserver at `kubectl apply --validate=strict`, naming the field, and nothing is
// stored. The API layer (the future admission webhook and offline CLI) refuses the very same
// documents on the very same field, and both accept the boundary values.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "api/securityprofile.h"
#include "operator_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;

const std::string kPeer = "/spec/ipsec/interfaces/0/peers/0";
const std::string kPeerField = "spec.ipsec.interfaces[0].peers[0]";

// A valid AMF profile with IPsec on N2, as kubectl sends it.
Json document(const std::string& name) {
  Json doc = Json::parse(R"({
    "apiVersion": "secprov.io/v1alpha1", "kind": "SecurityProfile",
    "metadata": {},
    "spec": {
      "nfType": "AMF",
      "selector": {"matchLabels": {"app": "amf"}},
      "trustDomainRef": {"name": "td"},
      "ipsec": {"interfaces": [{"name": "N2",
                                "peers": [{"name": "gnb-1", "address": "10.0.0.1",
                                           "remoteId": "gnb-1.ran.example.org"}]}]}}})");
  doc["metadata"]["name"] = name;
  return doc;
}

Json with(Json doc, const std::string& pointer, Json value) {
  doc[Json::json_pointer(pointer)] = std::move(value);
  return doc;
}

std::string reasons(const api::FieldErrors& errs) {
  std::string out;
  for (const auto& e : errs) out += "  " + e.message() + "\n";
  return out.empty() ? "  (none)\n" : out;
}

bool has_error_on(const api::FieldErrors& errs, const std::string& field) {
  for (const auto& e : errs) {
    if (e.field == field) return true;
  }
  return false;
}

struct BadCase {
  std::string what;
  Json doc;
  std::string field;  // the path the apiserver and the API both name
  std::string text;   // part of the apiserver's message
};

class AdmissionTest : public OperatorTest {
 protected:
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

TEST_F(AdmissionTest, RefusesWhatCannotBeRenderedNamingTheField) {
  const std::string label64(64, 'a');
  const std::vector<BadCase> cases = {
      // A name no Service can have: the SANs would be wrong (dots) or the name too long.
      {"dotted name", document("amf.v2"), "metadata.name", "must be a DNS-1035 label"},
      {"64-character name", document("a" + std::string(63, 'b')), "metadata.name",
       "must be a DNS-1035 label"},
      {"name starting with a digit", document("5g-amf"), "metadata.name",
       "must be a DNS-1035 label"},
      {"serviceName starting with a digit",
       with(document("amf-svc"), "/spec/sbi/tls/certificate/serviceName", "1amf"),
       "spec.sbi.tls.certificate.serviceName", "should match"},
      {"extra DNS name with a 64-character label",
       with(document("amf-dns"), "/spec/sbi/tls/certificate/extraDnsNames",
            Json::array({label64 + ".example.org"})),
       "spec.sbi.tls.certificate.extraDnsNames[0]", "should match"},
      // Lifetimes: beyond int64 nanoseconds, and out of the rekey bounds.
      {"IKE lifetime beyond int64",
       with(document("amf-ike-huge"), "/spec/ipsec/interfaces/0/ike",
            {{"lifetime", "99999999999999999999h"}}),
       "spec.ipsec.interfaces[0].ike.lifetime", "should match"},
      {"IKE lifetime over 24h",
       with(document("amf-ike-long"), "/spec/ipsec/interfaces/0/ike", {{"lifetime", "24h0m1s"}}),
       "spec.ipsec.interfaces[0].ike.lifetime", "must be between 5m and 24h"},
      {"IKE lifetime of 0s",
       with(document("amf-ike-zero"), "/spec/ipsec/interfaces/0/ike", {{"lifetime", "0s"}}),
       "spec.ipsec.interfaces[0].ike.lifetime", "must be between 5m and 24h"},
      {"ESP lifetime just over 8h",
       with(document("amf-esp-long"), "/spec/ipsec/interfaces/0/esp", {{"lifetime", "8h1s"}}),
       "spec.ipsec.interfaces[0].esp.lifetime", "must be between 5m and 8h"},
      {"ESP lifetime beyond Go's maximum",
       with(document("amf-esp-huge"), "/spec/ipsec/interfaces/0/esp", {{"lifetime", "2562048h"}}),
       "spec.ipsec.interfaces[0].esp.lifetime", "should match"},
      // IKE identities swanctl.conf cannot carry as written.
      {"remoteId with a control character",
       with(document("amf-id-bel"), kPeer + "/remoteId", "gnb-1\x07"), kPeerField + ".remoteId",
       "remoteId must be printable ASCII"},
      {"remoteId opening a section",
       with(document("amf-id-nl"), kPeer + "/remoteId", "x\n}\nconnections {"),
       kPeerField + ".remoteId", "remoteId must be printable ASCII"},
      {"remoteId with a double quote",
       with(document("amf-id-quote"), kPeer + "/remoteId", "C=DE, O=\"A\""),
       kPeerField + ".remoteId", "remoteId must be printable ASCII"},
      {"remoteId with a backslash", with(document("amf-id-bs"), kPeer + "/remoteId", "a\\b"),
       kPeerField + ".remoteId", "remoteId must be printable ASCII"},
      {"empty remoteId", with(document("amf-id-empty"), kPeer + "/remoteId", ""),
       kPeerField + ".remoteId", "remoteId must be printable ASCII"},
  };
  for (const auto& c : cases) {
    std::string output;
    EXPECT_NE(apply_yaml(c.doc.dump(2), &output), 0) << c.what << " was accepted";
    EXPECT_NE(output.find(c.field), std::string::npos) << c.what << ": " << output;
    EXPECT_NE(output.find(c.text), std::string::npos) << c.what << ": " << output;
    EXPECT_FALSE(stored(c.doc["metadata"]["name"])) << c.what;
    // The API layer refuses the same document on the same field.
    const auto errs = api::check_security_profile(c.doc);
    EXPECT_TRUE(has_error_on(errs, c.field)) << c.what << ":\n" << reasons(errs);
  }
}

TEST_F(AdmissionTest, AcceptsTheBoundaryValues) {
  const std::string label63(63, 'a');
  std::string every_printable;  // 0x21..0x7e except '"' and '\', a space inside
  for (char c = '!'; c <= '~'; ++c) {
    if (c != '"' && c != '\\') every_printable += c;
    if (c == 'A') every_printable += ' ';
  }
  const std::string name = "a" + std::string(61, '-') + "9";  // 63 characters
  Json doc = document(name);
  doc["spec"]["sbi"]["tls"]["certificate"]["serviceName"] = "s" + std::string(62, '0');
  doc["spec"]["sbi"]["tls"]["certificate"]["extraDnsNames"] =
      Json::array({"*." + label63 + ".example.org",
                   label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b')});  // 253
  doc["spec"]["ipsec"]["interfaces"][0]["ike"] = {{"lifetime", "24h"}};
  doc["spec"]["ipsec"]["interfaces"][0]["esp"] = {{"lifetime", "5m"}};
  doc["spec"]["ipsec"]["interfaces"][0]["peers"][0]["remoteId"] = every_printable;
  doc["spec"]["ipsec"]["interfaces"].push_back(Json::parse(R"({
    "name": "N3", "peers": [{"name": "upf", "address": "10.0.1.1",
                             "remoteId": "C=DE, O=Operator A, CN=upf"}],
    "ike": {"lifetime": "5m"}, "esp": {"lifetime": "8h"}})"));
  Json short_name = document("a");
  short_name["spec"]["ipsec"]["interfaces"][0]["ike"] = {{"lifetime", "86400s"}};  // 24h
  short_name["spec"]["ipsec"]["interfaces"][0]["esp"] = {{"lifetime", "28800s"}};

  for (const Json& d : {doc, short_name}) {
    const std::string n = d["metadata"]["name"];
    const auto errs = api::check_security_profile(d);
    EXPECT_TRUE(errs.empty()) << n << ":\n" << reasons(errs);
    std::string output;
    ASSERT_EQ(apply_yaml(d.dump(2), &output), 0) << n << ": " << output;
  }
  // Stored as written: the identity reaches the operator unchanged.
  const Json object = profile(name);
  EXPECT_EQ(object["spec"]["ipsec"]["interfaces"][0]["peers"][0]["remoteId"], every_printable);
  EXPECT_EQ(object["spec"]["sbi"]["tls"]["certificate"]["extraDnsNames"],
            doc["spec"]["sbi"]["tls"]["certificate"]["extraDnsNames"]);
  EXPECT_TRUE(stored("a"));
}

}  // namespace
}  // namespace secprov::testing
