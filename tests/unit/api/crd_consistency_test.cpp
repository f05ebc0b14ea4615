// The CRDs in crds/ and the C++ API agree: enums, defaults (checked by applying the CRD's
// defaults the way the apiserver does and comparing with what parse() produces), and the
// kubectl experience (descriptions, short names, printer columns, no unknown-field holes).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <random>
#include <regex>
#include <string>
#include <string_view>
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
  EXPECT_EQ(crd_enum(c, "spec.n32.peers.[].trustAnchorRef.kind"), names<TrustAnchorKind>());
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
  EXPECT_EQ(cols, (std::vector<std::string>{"NF", "TLS", "Ready", "Drifted", "Enforced", "Gaps",
                                            "Consistent", "Expires", "Age"}));
  EXPECT_EQ(v.at("additionalPrinterColumns").at(2).at("jsonPath"),
            R"(.status.conditions[?(@.type=="Ready")].status)");
  EXPECT_TRUE(domain_crd().at("spec").at("versions").at(0).at("subresources").contains("status"));
  // bounded status lists
  EXPECT_EQ(schema_at(profile_crd(), "status.driftFindings").at("maxItems"), kMaxDriftFindings);
  EXPECT_EQ(schema_at(profile_crd(), "status.objects").at("maxItems"), kMaxStatusObjects);
  EXPECT_EQ(schema_at(profile_crd(), "status.conditions").at("maxItems"), kMaxConditions);
}

// The TLS preference lists are held in place up to these bounds (api::EnumList), so the CRD's
// maxItems and the C++ bound must be the same number, for profiles and external peers alike.
TEST(Crd, TlsListBoundsAreTheCppCapacities) {
  for (const std::string tls : {"spec.sbi.tls", "spec.consistency.externalPeers.[].tls"}) {
    EXPECT_EQ(schema_at(profile_crd(), tls + ".tls12CipherSuites").at("maxItems"),
              Tls12CipherSuites::max_size())
        << tls;
    EXPECT_EQ(schema_at(profile_crd(), tls + ".tls13CipherSuites").at("maxItems"),
              Tls13CipherSuites::max_size())
        << tls;
    EXPECT_EQ(schema_at(profile_crd(), tls + ".groups").at("maxItems"), TlsGroups::max_size())
        << tls;
  }
}

// status.rotation of a TrustDomain (issue 11): the phases and the bound of waitingFor.
TEST(Crd, TrustDomainRotationMirrorsTheApi) {
  EXPECT_EQ(schema_at(domain_crd(), "status.rotation.waitingFor").at("maxItems"),
            kMaxRotationWaiting);
  std::vector<std::string> phases;
  for (const auto name : enum_names<RotationPhase>()) phases.emplace_back(name);
  EXPECT_EQ(schema_at(domain_crd(), "status.rotation.phase").at("enum"), json(phases));
  EXPECT_EQ(schema_at(domain_crd(), "status.rotation.token").at("maxLength"), kMaxReplaceCaToken);
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

// ---- issue 8 defects 5 and 6: the allow-lists live in api/constants; the CRD's CEL must say
// the same. The CEL rules of a proposal are read back and evaluated here (they are disjunctions
// of `[!]self.split('-').exists|all(t, t in [...])` terms after the pattern guard), and must
// fail exactly when validate() reports the rule's message.

// The '...' strings of a CEL list literal starting at `open` ('[').
std::vector<std::string> cel_list_at(const std::string& text, std::size_t open) {
  std::vector<std::string> out;
  const std::size_t close = text.find(']', open);
  std::size_t q = text.find('\'', open);
  while (q != std::string::npos && q < close) {
    const std::size_t end = text.find('\'', q + 1);
    out.push_back(text.substr(q + 1, end - q - 1));
    q = text.find('\'', end + 1);
  }
  return out;
}

// Every list literal after "in " in a CEL text.
std::vector<std::vector<std::string>> cel_lists(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  for (std::size_t at = text.find("in ["); at != std::string::npos;
       at = text.find("in [", at + 1)) {
    out.push_back(cel_list_at(text, at + 3));
  }
  return out;
}

std::vector<std::string> strings(const std::vector<std::string_view>& v) {
  return {v.begin(), v.end()};
}

// Evaluates a proposal rule on the tokens of a well-formed proposal.
bool eval_proposal_rule(const std::string& rule, const std::vector<std::string>& tokens,
                        const std::string& guard) {
  EXPECT_EQ(rule.rfind(guard, 0), 0u) << rule;
  std::string rest = rule.substr(guard.size());
  bool any = false;
  std::size_t start = 0;
  while (start <= rest.size()) {
    std::size_t end = rest.find(" || ", start);
    const std::string term = rest.substr(start, end == std::string::npos ? end : end - start);
    const bool negated = term.starts_with("!");
    const std::string call = term.substr(negated ? 1 : 0);
    const auto lists = cel_lists(call);
    EXPECT_EQ(lists.size(), 1u) << term;
    const auto in_list = [&](const std::string& t) {
      return std::find(lists.at(0).begin(), lists.at(0).end(), t) != lists.at(0).end();
    };
    bool value = false;
    if (call.starts_with("self.split('-').exists(t, t in [")) {
      value = std::any_of(tokens.begin(), tokens.end(), in_list);
    } else if (call.starts_with("self.split('-').all(t, t in [")) {
      value = std::all_of(tokens.begin(), tokens.end(), in_list);
    } else {
      ADD_FAILURE() << "unexpected CEL term: " << term;
    }
    any = any || (negated ? !value : value);
    if (end == std::string::npos) break;
    start = end + 4;
  }
  return any;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t end = s.find(sep); end != std::string::npos; end = s.find(sep, start)) {
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  out.push_back(s.substr(start));
  return out;
}

std::vector<std::string> api_reasons(const json& doc, const std::string& field) {
  std::vector<std::string> out;
  for (const auto& e : check_security_profile(doc)) {
    if (e.field == field) out.push_back(e.reason);
  }
  return out;
}

TEST(Crd, IpsecProposalRulesAreTheApiAllowList) {
  using enum IpsecTransform;
  struct Section {
    std::string name;
    IpsecProtocol protocol;
    std::size_t rules;
  };
  for (const auto& [section, protocol, rule_count] :
       {Section{"ike", IpsecProtocol::Ike, 7}, Section{"esp", IpsecProtocol::Esp, 5}}) {
    const json& item =
        schema_at(profile_crd(), "spec.ipsec.interfaces.[]." + section + ".proposals.[]");
    const std::string pattern = item.at("pattern");
    EXPECT_EQ(pattern, "^[a-z0-9]+(-[a-z0-9]+)*$");
    const std::string guard = "!self.matches('" + pattern + "') || ";
    const json& rules = item.at("x-kubernetes-validations");
    ASSERT_EQ(rules.size(), rule_count) << section;
    // Every list in the rules is one of the constants' lists.
    const std::vector<std::vector<std::string>> known = {
        strings(ipsec_tokens(protocol)),
        strings(ipsec_tokens({AeadEncryption, Encryption})),
        strings(ipsec_tokens({AeadEncryption})),
        strings(ipsec_tokens({Encryption})),
        strings(ipsec_tokens({Integrity})),
        strings(ipsec_tokens({Prf})),
        strings(ipsec_tokens({KeyExchange}))};
    for (const auto& r : rules) {
      for (const auto& key : {"rule", "messageExpression"}) {
        if (!r.contains(key)) continue;
        for (const auto& list : cel_lists(r.at(key))) {
          EXPECT_NE(std::find(known.begin(), known.end(), list), known.end())
              << section << ": a CEL list that is not in api/constants.h: " << r.at(key);
        }
      }
    }
    // The token rule: all tokens from the protocol's allow-list, the first other one named.
    const std::string allowed = [&] {
      std::string out;
      for (auto t : ipsec_tokens(protocol))
        out += (out.empty() ? "'" : ", '") + std::string(t) + "'";
      return "[" + out + "]";
    }();
    EXPECT_EQ(rules.at(0).at("rule"), guard + "self.split('-').all(t, t in " + allowed + ")");
    const auto doc_with = [&](const std::string& proposal) {
      json j = minimal_profile();
      j["spec"]["ipsec"]["interfaces"][0][section]["proposals"] = json::array({proposal});
      return j;
    };
    const std::string field = "spec.ipsec.interfaces[0]." + section + ".proposals[0]";
    const auto token_reason = api_reasons(doc_with("aes256gcm16-zz9-ecp384"), field);
    ASSERT_FALSE(token_reason.empty());
    const std::size_t at = token_reason.front().find("zz9");
    ASSERT_NE(at, std::string::npos) << token_reason.front();
    EXPECT_EQ(rules.at(0).at("messageExpression"),
              "'" + token_reason.front().substr(0, at) + "' + self.split('-').filter(t, !(t in " +
                  allowed + "))[0] + '" + token_reason.front().substr(at + 3) + "'");
    // The structure rules: evaluated on proposals of every shape, each fails exactly when the
    // API reports its message.
    std::vector<std::string> corpus_tokens = strings(ipsec_tokens(IpsecProtocol::Ike));
    std::mt19937 rng(8);
    std::uniform_int_distribution<std::size_t> count(1, 5);
    std::uniform_int_distribution<std::size_t> pick(0, corpus_tokens.size() - 1);
    std::vector<std::string> proposals;
    for (int n = 0; n < 3000; ++n) {
      std::string p;
      for (std::size_t k = count(rng); k > 0; --k)
        p += (p.empty() ? "" : "-") + corpus_tokens[pick(rng)];
      proposals.push_back(p);
    }
    std::vector<int> failures(rules.size(), 0);
    for (const auto& p : proposals) {
      const auto reasons = api_reasons(doc_with(p), field);
      const auto tokens = split(p, '-');
      for (std::size_t r = 1; r < rules.size(); ++r) {
        const std::string message = rules.at(r).at("message");
        const bool crd_fails = !eval_proposal_rule(rules.at(r).at("rule"), tokens, guard);
        const bool api_fails = std::find(reasons.begin(), reasons.end(), message) != reasons.end();
        EXPECT_EQ(crd_fails, api_fails) << section << " \"" << p << "\": " << message;
        failures[r] += crd_fails ? 1 : 0;
      }
      const bool crd_token_fails = !eval_proposal_rule(rules.at(0).at("rule"), tokens, guard);
      const bool api_token_fails =
          std::any_of(reasons.begin(), reasons.end(), [](const std::string& m) {
            return m.find("is not in the NDS/IP allow-list") != std::string::npos;
          });
      EXPECT_EQ(crd_token_fails, api_token_fails) << section << " \"" << p << "\"";
      // Nothing else: every API reason is one of the CRD's messages or the token message.
      for (const auto& reason : reasons) {
        const bool known_reason =
            reason.find("is not in the NDS/IP allow-list") != std::string::npos ||
            std::any_of(rules.begin() + 1, rules.end(),
                        [&](const json& r) { return r.at("message") == reason; });
        EXPECT_TRUE(known_reason) << section << " \"" << p << "\": " << reason;
      }
    }
    for (std::size_t r = 1; r < rules.size(); ++r) {
      EXPECT_GT(failures[r], 10) << section << ": rule " << r << " never failed in the corpus";
    }
  }
}

TEST(Crd, OAuth2ScopeRuleIsTheTs29510ServiceNameTable) {
  const json& item = schema_at(profile_crd(), "spec.sbi.oauth2.scopes.[]");
  const std::string pattern = item.at("pattern");
  const json& rule = only_rule(item);
  const std::string text = rule.at("rule");
  EXPECT_EQ(text.rfind("!self.matches('" + pattern + "') || self.split(':')[0] in [", 0), 0u)
      << text;
  const auto lists = cel_lists(text);
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_EQ(lists.at(0), strings({nf_service_names().begin(), nf_service_names().end()}));
  json doc = minimal_profile();
  doc["spec"]["sbi"]["oauth2"] = {
      {"enabled", true}, {"nrfApiRoot", "https://nrf"}, {"scopes", {"zz9:x"}}};
  const auto reasons = api_reasons(doc, "spec.sbi.oauth2.scopes[0]");
  ASSERT_EQ(reasons.size(), 1u);
  const std::size_t at = reasons.front().find("zz9");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(rule.at("messageExpression"), "'" + reasons.front().substr(0, at) +
                                              "' + self.split(':')[0] + '" +
                                              reasons.front().substr(at + 3) + "'");
  // The table: TS 29.510 V17.12.0 ServiceName has 125 values, no duplicates.
  const auto names = nf_service_names();
  EXPECT_EQ(names.size(), 125u);
  std::vector<std::string_view> sorted(names.begin(), names.end());
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
}

TEST(Crd, OAuth2NeedsTlsAndPreSharedKeyRulesMatchTheApi) {
  const json& sbi_rule = only_rule(schema_at(profile_crd(), "spec.sbi"));
  EXPECT_EQ(sbi_rule.at("fieldPath"), ".oauth2.enabled");
  json doc = minimal_profile();
  doc["spec"]["sbi"] = {{"tls", {{"mode", "Disabled"}}},
                        {"oauth2", {{"enabled", true}, {"nrfApiRoot", "https://nrf"}}}};
  EXPECT_EQ(api_reasons(doc, "spec.sbi.oauth2.enabled"),
            std::vector<std::string>{sbi_rule.at("message")});

  const json& itf = schema_at(profile_crd(), "spec.ipsec.interfaces.[]");
  const json* psk = nullptr;
  for (const auto& r : itf.at("x-kubernetes-validations")) {
    if (r.value("fieldPath", "") == ".authentication") psk = &r;
  }
  ASSERT_NE(psk, nullptr);
  const auto lists = cel_lists(psk->at("rule"));
  ASSERT_FALSE(lists.empty());
  std::vector<std::string> expected;
  for (auto i : kCertificateAuthenticationInterfaces) expected.emplace_back(to_string(i));
  EXPECT_EQ(lists.at(0), expected);
  json ipsec = minimal_profile();
  ipsec["spec"]["ipsec"]["interfaces"][0]["authentication"] = "PreSharedKey";
  EXPECT_EQ(api_reasons(ipsec, "spec.ipsec.interfaces[0].authentication"),
            std::vector<std::string>{psk->at("message")});
  EXPECT_EQ(schema_at(profile_crd(), "spec.ipsec.interfaces.[].allowPreSharedKey").at("default"),
            false);
}

// spec.enabler (issue 9): enums, OpenAPI bounds and each CEL rule's message are the API's.
TEST(Crd, EnablerMatchesTheApi) {
  const json& c = profile_crd();
  EXPECT_EQ(crd_enum(c, "spec.enabler.mode"), names<EnablerMode>());
  EXPECT_EQ(crd_enum(c, "spec.enabler.rollout"), names<EnablerRollout>());
  EXPECT_EQ(crd_enum(c, "spec.enabler.image.pullPolicy"), names<ImagePullPolicy>());
  EXPECT_EQ(schema_at(c, "spec.enabler.mode").at("default"),
            std::string(to_string(kDefaultEnablerMode)));
  EXPECT_EQ(schema_at(c, "spec.enabler.rollout").at("default"),
            std::string(to_string(kDefaultEnablerRollout)));
  EXPECT_EQ(schema_at(c, "spec.enabler.image.pullPolicy").at("default"),
            std::string(to_string(kDefaultImagePullPolicy)));
  for (const char* path : {"spec.enabler.inbound.port", "spec.enabler.inbound.tlsPort",
                           "spec.enabler.outbound.[].localPort", "spec.enabler.outbound.[].port"}) {
    EXPECT_EQ(schema_at(c, path).at("minimum"), 1) << path;
    EXPECT_EQ(schema_at(c, path).at("maximum"), 65535) << path;
  }
  EXPECT_EQ(schema_at(c, "spec.enabler.inbound.allowedClients").at("maxItems"),
            kMaxEnablerAllowedClients);
  EXPECT_EQ(schema_at(c, "spec.enabler.outbound").at("maxItems"), kMaxEnablerOutbound);
  for (const char* q : {"requests.cpu", "requests.memory", "limits.cpu", "limits.memory"}) {
    const json& s = schema_at(c, std::string("spec.enabler.resources.") + q);
    EXPECT_EQ(s.at("pattern"), std::string(kQuantityPattern)) << q;
    EXPECT_EQ(s.at("maxLength"), kMaxQuantityLength) << q;
  }
  EXPECT_EQ(schema_at(c, "spec.enabler.image.reference").at("pattern"),
            std::string(kImageReferencePattern));
  EXPECT_EQ(schema_at(c, "spec.enabler.image.reference").at("maxLength"), kMaxImageReferenceLength);
  EXPECT_EQ(schema_at(c, "spec.enabler.image.repository").at("pattern"),
            std::string(kImageRepositoryPattern));
  EXPECT_EQ(schema_at(c, "spec.enabler.image.tag").at("pattern"), std::string(kImageTagPattern));

  // Every string under spec.enabler is bounded.
  std::function<void(const json&, const std::string&)> bounded = [&](const json& s,
                                                                     const std::string& path) {
    if (string_or_empty(s, "type") == "string" && !s.contains("enum")) {
      EXPECT_TRUE(s.contains("maxLength")) << path;
    }
    if (string_or_empty(s, "type") == "array") {
      EXPECT_TRUE(s.contains("maxItems")) << path;
    }
    if (s.contains("properties")) {
      for (const auto& [k, v] : s.at("properties").items()) bounded(v, path + "." + k);
    }
    if (s.contains("items")) bounded(s.at("items"), path + "[]");
  };
  bounded(schema_at(c, "spec.enabler"), "spec.enabler");

  // The CEL rules and the API's messages, one invalid document each.
  const auto sidecar = [] {
    json doc = minimal_profile();
    doc["spec"]["enabler"] = {{"mode", "Sidecar"},
                              {"inbound", {{"port", 8000}, {"tlsPort", 8443}}},
                              {"outbound",
                               {{{"name", "a"}, {"localPort", 9001}, {"host", "a"}, {"port", 1}},
                                {{"name", "b"}, {"localPort", 9002}, {"host", "b"}, {"port", 1}}}}};
    return doc;
  };
  EXPECT_TRUE(check_security_profile(sidecar()).empty())
      << testing::dump(check_security_profile(sidecar()));
  const auto rule_with = [](const json& schema, const std::string& field_path) -> const json& {
    for (const auto& r : schema.at("x-kubernetes-validations")) {
      if (string_or_empty(r, "fieldPath") == field_path) return r;
    }
    ADD_FAILURE() << "no rule with fieldPath " << field_path;
    static const json none = json::object();
    return none;
  };
  const json& enabler = schema_at(c, "spec.enabler");
  struct Case {
    std::string pointer;
    json value;
    std::string field;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"/spec/enabler/inbound/tlsPort", 8000, "spec.enabler.inbound.tlsPort",
       rule_with(enabler, ".inbound.tlsPort").value("message", "")},
      {"/spec/enabler/outbound/0/localPort", 8443, "spec.enabler.outbound",
       rule_with(enabler, ".outbound").value("message", "")},
      {"/spec/enabler/outbound/1/localPort", 9001, "spec.enabler.outbound",
       rule_with(enabler, ".outbound").value("message", "")},
      {"/spec/enabler", json{{"mode", "Sidecar"}}, "spec.enabler",
       rule_with(enabler, "").value("message", "")},
      {"/spec/enabler/image", json{{"reference", "a/b:1"}, {"repository", "a/c"}},
       "spec.enabler.image", only_rule(schema_at(c, "spec.enabler.image")).value("message", "")},
      {"/spec/sbi", json{{"tls", {{"mode", "Disabled"}}}}, "spec.enabler.mode",
       rule_with(schema_at(c, "spec"), ".enabler.mode").value("message", "")},
  };
  for (const auto& k : cases) {
    json doc = sidecar();
    doc[json::json_pointer(k.pointer)] = k.value;
    EXPECT_FALSE(k.message.empty()) << k.pointer;
    EXPECT_EQ(api_reasons(doc, k.field), std::vector<std::string>{k.message}) << k.pointer;
  }
}

}  // namespace
}  // namespace secprov::api
