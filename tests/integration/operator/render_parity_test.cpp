// Issue 7: every object the operator writes is render/'s. Each sample of deploy/samples is
// provisioned by secprov-operator against the real control plane; render/ is then run over
// the same inputs, given back only the material the operator obtained (key, certificate
// chain, PSKs), and its output is compared with the written objects field by field. An
// object built or touched outside render/ (a label, an annotation, a data key, an owner
// reference added by a reconciler) fails here.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "api/securityprofile.h"
#include "api/trustdomain.h"
#include "crypto/certificate.h"
#include "crypto/encoding.h"
#include "operator_fixture.h"
#include "render/digest.h"
#include "render/labels.h"
#include "render/names.h"
#include "render/oauth2.h"
#include "render/profile.h"
#include "render/tls.h"
#include "render/trust_domain.h"
#include "support/samples.h"

namespace secprov::testing {
namespace {

using kube::Json;
namespace resources = kube::resources;
using namespace std::chrono_literals;

// Metadata the API server sets on every object: not the writer's.
const std::set<std::string> kServerAddedMetadata = {"resourceVersion", "uid", "creationTimestamp",
                                                    "managedFields", "generation"};

std::string object_label(const Json& object) {
  return object.value("kind", std::string("?")) + " " +
         object.value("metadata", Json::object()).value("name", std::string("?"));
}

// Whether a value of this object's data key may appear in a failure message: ConfigMaps
// and the public certificates of a Secret. Everything else of a Secret (tls.key, psk-*,
// swanctl.conf with its PSKs in hex) is named only.
bool printable(const Json& object, const std::string& key) {
  return object.value("kind", std::string{}) != "Secret" || key == render::kTlsCertificateKey ||
         key == render::kCaBundleKey;
}

std::set<std::string> keys_of(const Json& a, const Json& b) {
  std::set<std::string> keys;
  for (const auto* side : {&a, &b}) {
    if (!side->is_object()) continue;
    for (const auto& [key, value] : side->items()) keys.insert(key);
  }
  return keys;
}

const Json& member(const Json& object, const std::string& key) {
  static const Json absent;
  return object.is_object() && object.contains(key) ? object[key] : absent;
}

// Compares `desired` (render/'s) with `written` (as the API server returns it). Returns one
// line per difference; no line carries a value of key material.
std::vector<std::string> differences(const Json& desired, const Json& written) {
  std::vector<std::string> out;
  const auto label = object_label(desired);
  // Top level: apiVersion, kind, type, immutable...; metadata and data below.
  for (const auto& key : keys_of(desired, written)) {
    if (key == "metadata" || key == "data") continue;
    const auto& want = member(desired, key);
    const auto& got = member(written, key);
    if (want == got) continue;
    const bool show = key == "apiVersion" || key == "kind" || key == "type";
    out.push_back(label + ": " + key +
                  (show ? ": want " + want.dump() + ", got " + got.dump() : " differs"));
  }
  // Metadata, less what the server adds; labels and annotations per key.
  const auto& want_meta = member(desired, "metadata");
  const auto& got_meta = member(written, "metadata");
  for (const auto& key : keys_of(want_meta, got_meta)) {
    if (kServerAddedMetadata.contains(key)) continue;
    const auto& want = member(want_meta, key);
    const auto& got = member(got_meta, key);
    if (key == "labels" || key == "annotations") {
      for (const auto& name : keys_of(want, got)) {
        if (member(want, name) != member(got, name)) {
          out.push_back(label + ": metadata." + key + "[" + name + "]: want " +
                        member(want, name).dump() + ", got " + member(got, name).dump());
        }
      }
    } else if (want != got) {
      out.push_back(label + ": metadata." + key + ": want " + want.dump() + ", got " + got.dump());
    }
  }
  // Data: the same keys with the same values.
  const auto& want_data = member(desired, "data");
  const auto& got_data = member(written, "data");
  for (const auto& key : keys_of(want_data, got_data)) {
    const auto& want = member(want_data, key);
    const auto& got = member(got_data, key);
    if (want == got) continue;
    if (want.is_null() || got.is_null()) {
      out.push_back(label + ": data[" + key + "] " +
                    (want.is_null() ? "written but not rendered" : "rendered but not written"));
    } else if (printable(desired, key)) {
      out.push_back(label + ": data[" + key + "]: want " + want.dump() + ", got " + got.dump());
    } else {
      out.push_back(label + ": data[" + key + "] differs (key material: value not shown)");
    }
  }
  return out;
}

void expect_same(const Json& desired, const Json& written) {
  for (const auto& difference : differences(desired, written)) ADD_FAILURE() << difference;
}

bool mentions(const std::vector<std::string>& found, const std::string& text) {
  for (const auto& line : found) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

class RenderParityTest : public OperatorTest {};

TEST_F(RenderParityTest, EveryObjectWrittenForEverySampleIsTheRenderOutput) {
  // 1. The trust domain and every SecurityProfile sample, each Ready.
  const auto samples = cluster_paths().source_dir / "deploy" / "samples";
  std::string domain_yaml;
  std::vector<std::string> profile_yamls;
  for (const auto& entry : std::filesystem::directory_iterator(samples)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".yaml") continue;
    auto text = read_text(entry.path());
    if (text.find("\nkind: TrustDomain") != std::string::npos) {
      ASSERT_TRUE(domain_yaml.empty()) << "two TrustDomain samples";
      domain_yaml = std::move(text);
    } else if (text.find("\nkind: SecurityProfile") != std::string::npos) {
      profile_yamls.push_back(std::move(text));
    }
  }
  ASSERT_FALSE(domain_yaml.empty());
  ASSERT_GE(profile_yamls.size(), 5u) << "samples missing from " << samples;
  const auto sample_domain = metadata_name(domain_yaml);
  ASSERT_FALSE(sample_domain.empty());
  // Cluster-scoped: a name of this test's own (deleted by the fixture).
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

  // 2. The inputs as the operator had them: the TrustDomain and its CA.
  const auto domain_object = client_->get(resources::trust_domains(), "", trust_domain_);
  const auto parsed_domain = api::parse_trust_domain(domain_object);
  ASSERT_TRUE(parsed_domain.ok());
  const auto& domain = parsed_domain.value();
  ASSERT_FALSE(domain.status.ca_fingerprint.empty());
  const auto key_pair = secret(render::ca_secret_name(domain));  // operator namespace = ours
  const auto ca_pem = decode(key_pair, std::string(render::kTlsCertificateKey));
  const auto ca_chain = crypto::Certificate::parse_chain(ca_pem);
  ASSERT_EQ(ca_chain.size(), 1u);
  ASSERT_EQ(ca_chain.front().sha256_fingerprint(), domain.status.ca_fingerprint);
  const auto bundle_pem = api::trust_bundle_pem(
      ca_pem, domain.status,
      std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));

  // The CA key pair and the namespace's trust bundle are written too.
  std::set<std::string> expected_objects;
  {
    const auto desired = render::ca_key_pair_secret(
        domain, namespace_,
        render::CaMaterial{ca_pem, decode(key_pair, std::string(render::kTlsPrivateKeyKey))},
        std::nullopt, nullptr);
    SCOPED_TRACE("CA key pair");
    expect_same(desired, key_pair);
    expected_objects.insert(object_label(desired));
  }
  {
    // The bundle carries the domain's published CRL (material: signed by the operator), once
    // the CRL ConfigMap's event has reached the bundle.
    const auto crl_name = render::crl_config_map_name(trust_domain_);
    const auto published_crl = [&] {
      if (gone(resources::config_maps(), crl_name)) return std::string{};
      return config_map(crl_name)["data"].value(std::string(render::kCrlKey), std::string{});
    };
    const auto bundle_name = render::trust_bundle_name(trust_domain_);
    ASSERT_TRUE(eventually(
        [&] {
          const auto crl = published_crl();
          return !crl.empty() && config_map(bundle_name)["data"].value(std::string(render::kCrlKey),
                                                                       std::string{}) == crl;
        },
        60s));
    const auto written = config_map(bundle_name);
    const Json owner = render::trust_domain_owner_reference(
        trust_domain_, domain_object["metadata"]["uid"].get<std::string>());
    const auto desired = render::trust_bundle_config_map(trust_domain_, namespace_, bundle_pem,
                                                         owner, published_crl());
    SCOPED_TRACE("trust bundle");
    expect_same(desired, written);
    expected_objects.insert(object_label(desired));
  }

  {
    // The trust domain's CRL: its signed PEM is the operator's material, the rest render's.
    const auto name = render::crl_config_map_name(trust_domain_);
    ASSERT_TRUE(eventually([&] { return !gone(resources::config_maps(), name); }, 60s));
    const auto written = config_map(name);
    const Json owner = render::trust_domain_owner_reference(
        trust_domain_, domain_object["metadata"]["uid"].get<std::string>());
    const auto desired = render::crl_config_map(
        domain, namespace_, written["data"].value(std::string(render::kCrlKey), std::string{}),
        render::recorded_revocations(written), owner);
    SCOPED_TRACE("CRL");
    expect_same(desired, written);
    expected_objects.insert(object_label(desired));
  }

  // 3. Per profile: render over the same inputs, material fed back, compared.
  std::map<std::string, Json> rendered;  // for the mutation checks below
  std::map<std::string, Json> written_by_name;
  std::set<std::string> profile_uids;
  for (const auto& name : names) {
    SCOPED_TRACE("profile " + name);
    const auto object = profile(name);
    profile_uids.insert(object["metadata"]["uid"].get<std::string>());
    const auto parsed = api::parse_security_profile(object);
    ASSERT_TRUE(parsed.ok()) << name;
    const auto nf_instance_id = object["status"].value("nfInstanceId", std::string{});
    ASSERT_FALSE(nf_instance_id.empty());
    const auto plan =
        render::plan_profile(parsed.value(), domain, nf_instance_id,
                             render::IssuerInputs{domain.status.ca_fingerprint, bundle_pem});
    EXPECT_EQ(plan.nf_instance_id, nf_instance_id);

    for (const auto* planned : plan.objects()) {
      const auto& type =
          planned->kind == "Secret" ? resources::secrets() : resources::config_maps();
      if (!planned->wanted) {
        EXPECT_TRUE(gone(type, planned->name))
            << planned->kind << " " << planned->name << " written but not planned";
        continue;
      }
      ASSERT_FALSE(gone(type, planned->name))
          << planned->kind << " " << planned->name << " planned but not written";
      const auto written = client_->get(type, namespace_, planned->name);
      Json desired;
      if (planned == &plan.tls) {
        desired = plan.tls_secret(decode(written, std::string(render::kTlsCertificateKey)),
                                  decode(written, std::string(render::kTlsPrivateKeyKey)));
      } else if (planned == &plan.ipsec) {
        render::IpsecMaterial material;
        for (const auto& psk : plan.pre_shared_keys) {
          if (!written["data"].contains(psk)) {
            ADD_FAILURE() << planned->name << ": PSK " << psk << " not written";
            material.pre_shared_keys[psk] = "absent";
          } else {
            material.pre_shared_keys[psk] = decode(written, psk);
          }
        }
        desired = plan.ipsec_secret(material);
      } else {
        desired = plan.config_map;
      }
      EXPECT_EQ(desired.value("kind", std::string{}), planned->kind);
      EXPECT_EQ(desired["metadata"].value("name", std::string{}), planned->name);
      expect_same(desired, written);
      expected_objects.insert(object_label(desired));
      rendered[object_label(desired)] = desired;
      written_by_name[object_label(desired)] = written;
    }
    // An authorization server's access-token signing Secret (render/oauth2.h).
    if (const auto signing =
            render::oauth2_signing_request(parsed.value(), domain, nf_instance_id)) {
      const auto secret_name = render::oauth2_signing_secret_name(parsed.value());
      ASSERT_FALSE(gone(resources::secrets(), secret_name)) << secret_name << " not written";
      const auto written = secret(secret_name);
      const auto desired = render::oauth2_signing_secret(
          parsed.value(), decode(written, std::string(render::kTlsCertificateKey)),
          decode(written, std::string(render::kTlsPrivateKeyKey)),
          render::oauth2_signing_input_digest(*signing,
                                              *render::oauth2_signing_algorithm(parsed.value()),
                                              domain.status.ca_fingerprint, plan.labels));
      expect_same(desired, written);
      expected_objects.insert(object_label(desired));
    }
  }

  // Nothing more: every Secret and ConfigMap of the namespace that is secprov's (by label
  // or owner) is one of the above. kube-root-ca.crt and the like are not.
  std::set<std::string> owners = profile_uids;
  owners.insert(domain_object["metadata"]["uid"].get<std::string>());
  std::set<std::string> actual_objects;
  for (const auto& type : {resources::secrets(), resources::config_maps()}) {
    for (const auto& item : client_->list(type, namespace_).items) {
      const auto& metadata = item["metadata"];
      bool ours = false;
      const auto labels = metadata.value("labels", Json::object());
      for (const auto& [key, value] : labels.items()) {
        ours = ours || key.rfind("secprov.io/", 0) == 0 ||
               (key == render::kManagedByLabel && value == render::kManagedByValue) ||
               (key == render::kPartOfLabel && value == render::kPartOfValue);
      }
      for (const auto& reference : metadata.value("ownerReferences", Json::array())) {
        ours = ours || owners.contains(reference.value("uid", std::string{}));
      }
      if (ours) actual_objects.insert(object_label(item));
    }
  }
  EXPECT_EQ(actual_objects, expected_objects);

  // 4. The comparison can fail: a local copy of render's output, changed the way a
  // reconciler writing outside render/ would change it, is caught, and no line shows key
  // material.
  const std::string tls_key = "Secret amf-tls";
  const std::string ipsec_key = "Secret upf-ipsec";
  ASSERT_TRUE(rendered.contains(tls_key) && rendered.contains(ipsec_key));
  const auto& tls_written = written_by_name.at(tls_key);
  const auto& ipsec_written = written_by_name.at(ipsec_key);
  ASSERT_TRUE(differences(rendered.at(tls_key), tls_written).empty());
  const auto caught = [&](const std::string& what, Json changed, const Json& written,
                          const std::string& expected_line) {
    SCOPED_TRACE(what);
    const auto found = differences(changed, written);
    EXPECT_TRUE(mentions(found, expected_line)) << ::testing::PrintToString(found);
    for (const auto& line : found) {
      for (const auto& [key, value] : written["data"].items()) {
        if (printable(written, key)) continue;
        const auto text = value.get<std::string>();
        EXPECT_EQ(line.find(text), std::string::npos) << "shows data[" << key << "]";
        EXPECT_EQ(line.find(decode(written, key)), std::string::npos)
            << "shows data[" << key << "]";
      }
    }
  };
  {
    auto changed = rendered.at(tls_key);
    changed["metadata"]["labels"].erase(std::string(render::kProfileLabel));
    caught("a label dropped", changed, tls_written, "metadata.labels[secprov.io/profile]");
  }
  {
    auto changed = rendered.at(tls_key);
    changed["metadata"]["annotations"]["secprov.io/issued-by"] = "reconciler";
    caught("an annotation added", changed, tls_written,
           "metadata.annotations[secprov.io/issued-by]");
  }
  {
    auto changed = rendered.at(tls_key);
    changed["metadata"]["ownerReferences"][0]["controller"] = false;
    caught("an owner reference changed", changed, tls_written, "metadata.ownerReferences");
  }
  {
    auto changed = rendered.at(tls_key);
    changed["type"] = "Opaque";
    caught("another type", changed, tls_written, ": type: want \"Opaque\"");
  }
  {
    auto changed = rendered.at(tls_key);
    changed["data"]["tls.key"] = crypto::base64_encode("another key");
    caught("another private key", changed, tls_written, "data[tls.key] differs (key material");
  }
  {
    auto changed = rendered.at(ipsec_key);
    const auto psk = changed["data"].items().begin().key();
    changed["data"].erase(psk);
    caught("a data key dropped", changed, ipsec_written,
           "data[" + psk + "] written but not rendered");
  }
  {
    // The samples' IPsec links use certificates (TS 33.501 9.9); PSK links are checked in
    // ipsec_link_test.
    auto changed = rendered.at(ipsec_key);
    bool any_psk = false;
    for (auto& [key, value] : changed["data"].items()) {
      if (key.rfind("psk-", 0) == 0) value = crypto::base64_encode("another psk");
      any_psk = any_psk || key.rfind("psk-", 0) == 0;
    }
    if (any_psk) {
      caught("another PSK", changed, ipsec_written, "differs (key material: value not shown)");
    }
  }
  {
    auto changed = rendered.at(ipsec_key);
    changed["data"]["swanctl.conf"] = crypto::base64_encode("connections {}\n");
    caught("swanctl.conf changed", changed, ipsec_written,
           "data[swanctl.conf] differs (key material");
  }
}

}  // namespace
}  // namespace secprov::testing
