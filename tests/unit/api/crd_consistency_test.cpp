// The CRDs in crds/ and the C++ API agree: enums, defaults (checked by applying the CRD's
// defaults the way the apiserver does and comparing with what parse() produces), and the
// kubectl experience (descriptions, short names, printer columns, no unknown-field holes).

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "api/securityprofile.h"
#include "api/trustdomain.h"
#include "test_util.h"
#include "yaml_json.h"

namespace secprov::api {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kRoot(SECPROV_SOURCE_DIR);

json load_crd(const std::string& file) {
  auto docs = testing::load_yaml_file((kRoot / "crds" / file).string());
  EXPECT_EQ(docs.size(), 1u);
  return docs.at(0);
}

const json& profile_crd() {
  static const json crd = load_crd("secprov.io_securityprofiles.yaml");
  return crd;
}
const json& domain_crd() {
  static const json crd = load_crd("secprov.io_trustdomains.yaml");
  return crd;
}

const json& root_schema(const json& crd) {
  return crd.at("spec").at("versions").at(0).at("schema").at("openAPIV3Schema");
}

// Schema at a dotted path of property names; "[]" steps into array items.
const json& schema_at(const json& crd, const std::string& path) {
  const json* s = &root_schema(crd);
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t dot = path.find('.', start);
    std::string step =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    s = step == "[]" ? &s->at("items") : &s->at("properties").at(step);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return *s;
}

// (json::value() trips a -Wnull-dereference false positive in nlohmann 3.11 at -O2)
std::string string_or_empty(const json& j, const std::string& key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

template <ApiEnum E>
std::vector<std::string> names() {
  std::vector<std::string> out;
  for (auto n : enum_names<E>()) out.emplace_back(n);
  return out;
}

std::vector<std::string> crd_enum(const json& crd, const std::string& path) {
  return schema_at(crd, path).at("enum").get<std::vector<std::string>>();
}

// The apiserver's structural defaulting: missing or null properties get their default, then
// the algorithm descends into every present property (defaults included) and array item.
void apply_defaults(json& value, const json& schema) {
  if (value.is_object() && schema.contains("properties")) {
    for (const auto& [key, prop] : schema.at("properties").items()) {
      if (prop.contains("default") && (!value.contains(key) || value[key].is_null())) {
        value[key] = prop.at("default");
      }
    }
    for (auto& [key, v] : value.items()) {
      if (schema.at("properties").contains(key)) apply_defaults(v, schema.at("properties").at(key));
    }
  } else if (value.is_array() && schema.contains("items")) {
    for (auto& item : value) apply_defaults(item, schema.at("items"));
  }
}

TEST(Crd, EnumsMatchTheCppTables) {
  const json& c = profile_crd();
  EXPECT_EQ(crd_enum(c, "spec.nfType"), names<NfType>());
  EXPECT_EQ(crd_enum(c, "spec.sbi.tls.mode"), names<TlsMode>());
  EXPECT_EQ(crd_enum(c, "spec.sbi.tls.minVersion"), names<TlsVersion>());
  EXPECT_EQ(crd_enum(c, "spec.sbi.tls.maxVersion"), names<TlsVersion>());
  EXPECT_EQ(crd_enum(c, "spec.sbi.tls.tls12CipherSuites.[]"), names<Tls12CipherSuite>());
  EXPECT_EQ(crd_enum(c, "spec.sbi.tls.tls13CipherSuites.[]"), names<Tls13CipherSuite>());
  EXPECT_EQ(crd_enum(c, "spec.sbi.tls.groups.[]"), names<TlsGroup>());
  EXPECT_EQ(crd_enum(c, "spec.sbi.tls.certificate.rotationPolicy"), names<RotationPolicy>());
  EXPECT_EQ(crd_enum(c, "spec.sbi.oauth2.role"), names<OAuth2Role>());
  EXPECT_EQ(crd_enum(c, "spec.sbi.oauth2.acceptedAlgorithms.[]"), names<JwsAlgorithm>());
  EXPECT_EQ(crd_enum(c, "spec.ipsec.interfaces.[].name"), names<IpsecInterface>());
  EXPECT_EQ(crd_enum(c, "spec.ipsec.interfaces.[].mode"), names<IpsecMode>());
  EXPECT_EQ(crd_enum(c, "spec.ipsec.interfaces.[].authentication"), names<IpsecAuthentication>());
  EXPECT_EQ(crd_enum(c, "spec.n32.capability"), names<N32Capability>());
  EXPECT_EQ(crd_enum(c, "spec.n32.jweCipherSuites.[]"), names<JweCipherSuite>());
  EXPECT_EQ(crd_enum(c, "spec.driftPolicy"), names<DriftPolicy>());
  EXPECT_EQ(crd_enum(c, "spec.deletionPolicy"), names<DeletionPolicy>());
  EXPECT_EQ(crd_enum(c, "status.conditions.[].status"), names<ConditionStatus>());
  EXPECT_EQ(crd_enum(c, "status.objects.[].state"), names<ObjectState>());
  EXPECT_EQ(crd_enum(c, "status.driftFindings.[].action"), names<DriftAction>());
  EXPECT_EQ(crd_enum(domain_crd(), "status.conditions.[].status"), names<ConditionStatus>());
  // keyAlgorithm is checked by CEL (to name the RSA minimum); its allowed list is in the rule.
  for (const char* path : {"spec.sbi.tls.certificate.keyAlgorithm"}) {
    const std::string rule = schema_at(c, path).at("x-kubernetes-validations").at(0).at("rule");
    for (const auto& n : names<KeyAlgorithm>())
      EXPECT_NE(rule.find("'" + n + "'"), std::string::npos) << n;
  }
  const std::string td_rule = schema_at(domain_crd(), "spec.ca.generate.keyAlgorithm")
                                  .at("x-kubernetes-validations")
                                  .at(0)
                                  .at("rule");
  for (const auto& n : names<KeyAlgorithm>())
    EXPECT_NE(td_rule.find("'" + n + "'"), std::string::npos) << n;
}

TEST(Crd, DefaultsMatchParse) {
  // every valid sample profile, plus a minimal one with nested objects present but empty
  std::vector<json> inputs;
  for (const auto& e : fs::directory_iterator(kRoot / "deploy" / "samples")) {
    if (e.path().extension() != ".yaml") continue;
    for (auto& doc : testing::load_yaml_file(e.path().string())) {
      if (string_or_empty(doc, "kind") == "SecurityProfile") inputs.push_back(doc);
    }
  }
  inputs.push_back(json::parse(R"({"kind": "SecurityProfile", "metadata": {"name": "x"},
    "spec": {"nfType": "SEPP", "selector": {"matchLabels": {"a": "b"}}, "trustDomainRef": {"name": "t"},
             "sbi": {"oauth2": {}}, "n32": {}, "outputs": {},
             "ipsec": {"interfaces": [{"name": "N3", "peers": [{"name": "p", "address": "10.0.0.1"}],
                                       "ike": {}, "trafficSelectors": {"local": ["10.0.0.0/8"]}}]}}})"));
  ASSERT_GE(inputs.size(), 6u);
  for (json in : inputs) {
    auto parsed = parse_security_profile(in);
    ASSERT_TRUE(parsed.ok()) << testing::dump(parsed.errors());
    json defaulted = in.at("spec");
    apply_defaults(defaulted, schema_at(profile_crd(), "spec"));
    EXPECT_EQ(to_json(parsed->spec), defaulted)
        << string_or_empty(in.at("metadata"), "name") << "\nC++: " << to_json(parsed->spec).dump(1)
        << "\nCRD: " << defaulted.dump(1);
  }
}

TEST(Crd, TrustDomainDefaultsMatch) {
  const json& gen = schema_at(domain_crd(), "spec.ca.generate");
  EXPECT_EQ(gen.at("properties").at("keyAlgorithm").at("default"),
            std::string(to_string(kDefaultCaKeyAlgorithm)));
  EXPECT_EQ(gen.at("properties").at("duration").at("default"), std::string(kDefaultCaDuration));
}

TEST(Crd, NoUnknownFieldHoles) {
  std::function<void(const json&, const std::string&)> walk = [&](const json& j,
                                                                  const std::string& where) {
    if (j.is_object()) {
      for (const auto& [k, v] : j.items()) {
        EXPECT_NE(k, "x-kubernetes-preserve-unknown-fields") << where;
        EXPECT_NE(k, "x-kubernetes-embedded-resource") << where;
        walk(v, where + "." + k);
      }
    } else if (j.is_array()) {
      for (const auto& v : j) walk(v, where);
    }
  };
  walk(profile_crd(), "securityprofiles");
  walk(domain_crd(), "trustdomains");
}

TEST(Crd, EveryFieldIsDescribedForKubectlExplain) {
  std::function<void(const json&, const std::string&)> walk = [&](const json& s,
                                                                  const std::string& path) {
    if (s.contains("properties")) {
      for (const auto& [k, prop] : s.at("properties").items()) {
        const std::string p = path.empty() ? k : path + "." + k;
        if (p == "metadata") continue;
        EXPECT_FALSE(string_or_empty(prop, "description").empty()) << "no description: " << p;
        walk(prop, p);
      }
    }
    if (s.contains("items")) walk(s.at("items"), path + "[]");
  };
  walk(root_schema(profile_crd()), "");
  walk(root_schema(domain_crd()), "");
}

TEST(Crd, KubectlExperience) {
  const json& names_p = profile_crd().at("spec").at("names");
  EXPECT_EQ(names_p.at("kind"), "SecurityProfile");
  EXPECT_EQ(names_p.at("shortNames"), (json{"sprof", "sp"}));
  EXPECT_EQ(names_p.at("categories"), (json{"secprov"}));
  EXPECT_EQ(profile_crd().at("spec").at("scope"), "Namespaced");
  const json& names_d = domain_crd().at("spec").at("names");
  EXPECT_EQ(names_d.at("shortNames"), (json{"td"}));
  EXPECT_EQ(names_d.at("categories"), (json{"secprov"}));
  EXPECT_EQ(domain_crd().at("spec").at("scope"), "Cluster");
  const json& v = profile_crd().at("spec").at("versions").at(0);
  EXPECT_EQ(v.at("name"), "v1alpha1");
  EXPECT_TRUE(v.at("subresources").contains("status"));
  std::vector<std::string> cols;
  for (const auto& c : v.at("additionalPrinterColumns")) cols.push_back(c.at("name"));
  EXPECT_EQ(cols, (std::vector<std::string>{"NF", "TLS", "Ready", "Drifted", "Expires", "Age"}));
  EXPECT_EQ(v.at("additionalPrinterColumns").at(2).at("jsonPath"),
            R"(.status.conditions[?(@.type=="Ready")].status)");
  EXPECT_TRUE(domain_crd().at("spec").at("versions").at(0).at("subresources").contains("status"));
  // bounded status lists
  EXPECT_EQ(schema_at(profile_crd(), "status.driftFindings").at("maxItems"), kMaxDriftFindings);
  EXPECT_EQ(schema_at(profile_crd(), "status.objects").at("maxItems"), kMaxStatusObjects);
  EXPECT_EQ(schema_at(profile_crd(), "status.conditions").at("maxItems"), kMaxConditions);
}

}  // namespace
}  // namespace secprov::api
