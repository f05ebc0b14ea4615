// The CRDs in crds/ and the C++ API agree: enums, defaults (checked by applying the CRD's
// defaults the way the apiserver does and comparing with what parse() produces), and the
// kubectl experience (descriptions, short names, printer columns, no unknown-field holes).

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "api/duration.h"
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

// ---- admission bounds (issue 6 §4): the CRD's rules and the API's are the same rules.

// The regex of the first CEL `matches('...')` / `matches(r'...')` in a rule.
std::string cel_regex(const std::string& rule) {
  const std::size_t call = rule.find("matches(");
  EXPECT_NE(call, std::string::npos) << rule;
  std::size_t open = rule.find('\'', call);
  const std::size_t close = rule.find("')", open);
  EXPECT_NE(close, std::string::npos) << rule;
  return rule.substr(open + 1, close - open - 1);
}

const json& only_rule(const json& schema) {
  EXPECT_EQ(schema.at("x-kubernetes-validations").size(), 1u);
  return schema.at("x-kubernetes-validations").at(0);
}

// The single error validate() reports on `field` for `doc` (empty reason when none).
std::string api_reason(const json& doc, const std::string& field) {
  const auto errs = check_security_profile(doc);
  const FieldError* e = testing::find_error(errs, field);
  return e == nullptr ? std::string() : e->reason;
}

json minimal_profile() {
  return json::parse(R"({"apiVersion": "secprov.io/v1alpha1", "kind": "SecurityProfile",
    "metadata": {"name": "amf", "namespace": "5gc"},
    "spec": {"nfType": "AMF", "selector": {"matchLabels": {"a": "b"}}, "trustDomainRef": {"name": "t"},
             "ipsec": {"interfaces": [{"name": "N2", "peers": [{"name": "p", "address": "10.0.0.1"}]}]}}})");
}

// Deterministic strings over `alphabet` (lengths 0..max_len) plus `extra`, for agreement checks.
std::vector<std::string> corpus(const std::string& alphabet, std::size_t max_len,
                                std::vector<std::string> extra, bool allow_empty = true) {
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<std::size_t> len(0, max_len);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  for (int i = 0; i < 3000; ++i) {
    std::string s(len(rng), ' ');
    if (s.empty() && !allow_empty) continue;
    for (char& c : s) c = alphabet[pick(rng)];
    extra.push_back(std::move(s));
  }
  return extra;
}

// For every value: the CRD accepts it (length and regex, evaluated with std::regex) exactly
// when validate() reports nothing on `field`.
void expect_agreement(const std::string& what, const std::string& regex, std::size_t max_length,
                      const std::vector<std::string>& values,
                      const std::function<json(const std::string&)>& doc_with,
                      const std::string& field) {
  const std::regex re(regex, std::regex::ECMAScript);
  int accepted = 0;
  for (const auto& v : values) {
    const bool crd = v.size() <= max_length && std::regex_search(v, re);
    const bool api = api_reason(doc_with(v), field).empty();
    EXPECT_EQ(crd, api) << what << ": \"" << v << "\"";
    accepted += crd ? 1 : 0;
  }
  EXPECT_GT(accepted, 10) << what << ": the corpus should exercise both outcomes";
}

TEST(Crd, ProfileNameRuleMatchesTheApi) {
  const json& rule = only_rule(root_schema(profile_crd()));
  const std::string text = rule.at("rule");
  EXPECT_EQ(cel_regex(text), kDns1035LabelPattern);
  EXPECT_NE(text.find("self.metadata.name.size() <= " + std::to_string(kMaxProfileNameLength)),
            std::string::npos);
  EXPECT_EQ(rule.at("fieldPath"), ".metadata.name");
  json bad = minimal_profile();
  bad["metadata"]["name"] = "amf.v2";
  EXPECT_EQ(api_reason(bad, "metadata.name"), rule.at("message"));
  expect_agreement(
      "metadata.name", cel_regex(text), kMaxProfileNameLength,
      // (no empty name: the apiserver requires one before CEL runs; validate() leaves it)
      corpus("ab9-.A_", 8, {std::string(63, 'a'), std::string(64, 'a'), "a" + std::string(62, '0')},
             false),
      [](const std::string& v) {
        json j = minimal_profile();
        j["metadata"]["name"] = v;
        return j;
      },
      "metadata.name");
}

TEST(Crd, ServiceNameAndExtraDnsNamePatternsMatchTheApi) {
  const json& service = schema_at(profile_crd(), "spec.sbi.tls.certificate.serviceName");
  EXPECT_EQ(service.at("pattern"), kDns1035LabelPattern);
  const json& extra = schema_at(profile_crd(), "spec.sbi.tls.certificate.extraDnsNames.[]");
  EXPECT_EQ(extra.at("pattern"), kSanDnsNamePattern);
  expect_agreement(
      "serviceName", service.at("pattern"), service.at("maxLength"),
      corpus("az09-.", 6, {"a" + std::string(62, 'b'), "a" + std::string(63, 'b')}),
      [](const std::string& v) {
        json j = minimal_profile();
        j["spec"]["sbi"]["tls"]["certificate"]["serviceName"] = v;
        return j;
      },
      "spec.sbi.tls.certificate.serviceName");
  const std::string l63(63, 'a');
  expect_agreement(
      "extraDnsNames", extra.at("pattern"), extra.at("maxLength"),
      corpus("a0-.*", 8,
             {l63 + ".org", l63 + "a.org", "*." + l63, "*." + l63 + "a", "x." + l63 + "." + l63,
              l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b'),
              l63 + "." + l63 + "." + l63 + "." + std::string(62, 'b')}),
      [](const std::string& v) {
        json j = minimal_profile();
        j["spec"]["sbi"]["tls"]["certificate"]["extraDnsNames"] = json::array({v});
        return j;
      },
      "spec.sbi.tls.certificate.extraDnsNames[0]");
}

TEST(Crd, IpsecLifetimeBoundsMatchTheApi) {
  struct Case {
    std::string section;
    std::chrono::hours max;
  };
  for (const auto& [section, max] : {Case{"ike", kMaxIkeLifetime}, Case{"esp", kMaxEspLifetime}}) {
    const json& s = schema_at(profile_crd(), "spec.ipsec.interfaces.[]." + section + ".lifetime");
    EXPECT_EQ(s.at("pattern"), kIpsecLifetimePattern) << section;
    EXPECT_EQ(s.at("maxLength"), 32) << section;
    const json& rule = only_rule(s);
    const std::string text = rule.at("rule");
    // The CEL guard is the pattern (with [.] for \.), so duration() only sees bounded values.
    std::string guard(kIpsecLifetimePattern);
    guard.replace(guard.find(R"(\.)"), 2, "[.]");
    EXPECT_EQ(cel_regex(text), guard) << section;
    EXPECT_NE(text.find("duration(self) >= duration('" +
                        format_go_duration(std::chrono::seconds(kMinIpsecLifetime)) + "')"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("duration(self) <= duration('" +
                        format_go_duration(std::chrono::seconds(max)) + "')"),
              std::string::npos)
        << text;
    const std::string field = "spec.ipsec.interfaces[0]." + section + ".lifetime";
    const auto doc_with = [&](const std::string& v) {
      json j = minimal_profile();
      j["spec"]["ipsec"]["interfaces"][0][section]["lifetime"] = v;
      return j;
    };
    EXPECT_EQ(api_reason(doc_with("100h"), field), rule.at("message")) << section;
    EXPECT_EQ(api_reason(doc_with("1m"), field), rule.at("message")) << section;
    // The pattern: the API refuses ("should match") exactly what the regex refuses.
    const std::regex re(std::string(s.at("pattern")), std::regex::ECMAScript);
    for (const auto& v : corpus("019.hms", 9, {"99999h", "100000h", "1.5h", "5m0.1s", "1h30m"})) {
      const bool crd = v.size() <= 32 && std::regex_search(v, re);
      const bool api = api_reason(doc_with(v), field).find("should match") == std::string::npos;
      EXPECT_EQ(crd, api) << section << ": \"" << v << "\"";
    }
  }
}

TEST(Crd, RemoteIdCharsetMatchesTheApi) {
  const json& s = schema_at(profile_crd(), "spec.ipsec.interfaces.[].peers.[].remoteId");
  const json& rule = only_rule(s);
  const std::string text = rule.at("rule");
  EXPECT_EQ(cel_regex(text), kIkeIdentityPattern);
  const auto doc_with = [](const std::string& v) {
    json j = minimal_profile();
    j["spec"]["ipsec"]["interfaces"][0]["peers"][0]["remoteId"] = v;
    return j;
  };
  const std::string field = "spec.ipsec.interfaces[0].peers[0].remoteId";
  EXPECT_EQ(api_reason(doc_with("a\nb"), field), rule.at("message"));
  std::string alphabet = "aZ9 =,@*\"\\[]!~#\t\n\x7f\x01";
  alphabet += "\xc3";
  expect_agreement("remoteId", cel_regex(text), s.at("maxLength"),
                   corpus(alphabet, 6, {std::string(255, 'x'), std::string(256, 'x')}), doc_with,
                   field);
}

}  // namespace
}  // namespace secprov::api
