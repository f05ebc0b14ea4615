// secprovctl check: the samples, the broken fixtures (exit codes and messages naming file,
// document and field), an inconsistent pair, and the JSON and SARIF shapes.
#include "cmd/secprovctl/check_command.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "cli_runner.h"

namespace secprov::ctl {
namespace {

namespace fs = std::filesystem;
const fs::path kSource = SECPROV_SOURCE_DIR;
const fs::path kSamples = kSource / "deploy" / "samples";
const fs::path kFixtures = kSource / "tests" / "fixtures" / "secprovctl";

// The top-level samples (deploy/samples/invalid/ holds profiles the API must reject).
std::vector<std::string> sample_files() {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(kSamples)) {
    if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(CheckSamples, NoErrorFindingAndNoInvalidInput) {
  const auto result = run_check(load_manifests(sample_files()));
  EXPECT_TRUE(result.errors.empty()) << (result.errors.empty() ? "" : result.errors[0].text());
  EXPECT_EQ(result.count(check::Severity::Error), 0u) << format_table(result);
  // Robust to samples being added: at least the NFs of the 5G Core and their trust domain.
  EXPECT_GE(result.profiles, 6u);
  EXPECT_GE(result.trust_domains, 1u);
  EXPECT_GE(result.skipped, 2u);  // the Namespace and the Kustomization
  EXPECT_GT(result.pairs, 0u);
  // The samples are clean: no finding at all, exit 0.
  EXPECT_EQ(result.count(check::Severity::Warning), 0u) << format_table(result);
  EXPECT_EQ(result.exit_code(), kExitClean) << format_table(result);
}

TEST(CheckSamples, JsonOutputHasTheDocumentedSchema) {
  std::vector<std::string> args{"check", "-o", "json"};
  for (const auto& f : sample_files()) args.insert(args.end(), {"-f", f});
  const auto r = cli(args);
  ASSERT_NE(r.code, kExitBadInput) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  for (const auto* key : {"summary", "invalidInputs", "findings", "unresolvedPeers"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  const auto& summary = json["summary"];
  for (const auto* key : {"files", "objects", "securityProfiles", "trustDomains", "skipped",
                          "pairs", "errors", "warnings", "infos", "invalidInputs", "exitCode"}) {
    EXPECT_TRUE(summary.contains(key) && summary[key].is_number_integer()) << key;
  }
  EXPECT_EQ(summary["errors"], 0);
  EXPECT_EQ(summary["warnings"], 0);
  EXPECT_EQ(r.code, kExitClean) << r.out;
  EXPECT_EQ(summary["exitCode"], r.code);
  for (const auto& f : json["findings"]) {
    for (const auto* key :
         {"namespace", "interface", "a", "b", "check", "reason", "severity", "message"}) {
      EXPECT_TRUE(f.contains(key) && f[key].is_string()) << key << " in " << f.dump();
    }
    EXPECT_NE(f["severity"], "Error") << f.dump();
    ASSERT_TRUE(f.contains("source")) << f.dump();
    EXPECT_TRUE(f["source"]["file"].get<std::string>().ends_with(".yaml"));
    EXPECT_GE(f["source"]["document"].get<int>(), 1);
    EXPECT_GE(f["source"]["line"].get<int>(), 1);
  }
}

TEST(CheckSamples, ADirectoryIsReadRecursivelySoInvalidSamplesMakeItBadInput) {
  // deploy/samples/invalid/ is under deploy/samples: every one of its files is rejected.
  const auto result = run_check(load_manifests({kSamples.string()}));
  EXPECT_EQ(result.exit_code(), kExitBadInput);
  std::size_t invalid_files = 0;
  for (const auto& e : fs::directory_iterator(kSamples / "invalid")) {
    invalid_files += e.path().extension() == ".yaml";
    bool named = false;
    for (const auto& error : result.errors) named = named || error.source.file == e.path().string();
    EXPECT_TRUE(named) << e.path() << " is not reported";
  }
  EXPECT_GE(result.files, sample_files().size() + invalid_files);
}

struct Broken {
  std::string file;
  std::string message;  // exactly what the error line says after "error: "
  // gtest prints the parameter of a failing case: the file, not the struct's bytes.
  friend void PrintTo(const Broken& broken, std::ostream* os) { *os << broken.file; }
};

class BrokenFixture : public testing::TestWithParam<Broken> {};

TEST_P(BrokenFixture, ExitsTwoNamingFileDocumentAndField) {
  const auto path = (kFixtures / "broken" / GetParam().file).string();
  const auto r = cli({"check", "-f", path});
  EXPECT_EQ(r.code, kExitBadInput) << r.out << r.err;
  EXPECT_EQ(r.err, "error: " + path + GetParam().message + "\n");
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, BrokenFixture,
    testing::Values(
        Broken{"unparsable.yaml",
               ": document 2 (line 16): invalid YAML: end of map flow not found"},
        Broken{"bad-field.yaml",
               ": document 2 (line 7): SecurityProfile 5gc/amf: spec.sbi.tls.minVersion: "
               "Unsupported value: \"1.1\": supported values: \"1.2\", \"1.3\""},
        Broken{"unknown-field.yaml",
               ": document 1 (line 2): SecurityProfile 5gc/amf: spec.sbi.tls.ciphers: unknown "
               "field \"spec.sbi.tls.ciphers\""},
        Broken{"missing-nftype.yaml",
               ": document 1 (line 2): SecurityProfile 5gc/nf: spec.nfType: Required value"},
        Broken{"truncated.json",
               ": document 1 (line 1): invalid JSON: [json.exception.parse_error.101] parse "
               "error at line 2, column 1: syntax error while parsing object key - unexpected "
               "end of input; expected string literal"}),
    [](const auto& param_info) {
      auto name = param_info.param.file;
      for (auto& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

TEST(CheckBroken, TheWholeDirectoryReportsEveryFileAndKeepsTheValidDocument) {
  const auto result = run_check(load_manifests({(kFixtures / "broken").string()}));
  EXPECT_EQ(result.exit_code(), kExitBadInput);
  EXPECT_EQ(result.files, 5u);
  EXPECT_EQ(result.errors.size(), 5u);
  EXPECT_EQ(result.trust_domains, 1u);  // unparsable.yaml's first document
  // Sorted by path.
  EXPECT_TRUE(result.errors.front().source.file.ends_with("bad-field.yaml"));
}

TEST(CheckBroken, AMissingFileIsBadInput) {
  const auto r = cli({"check", "-f", "/nonexistent/secprov.yaml"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_EQ(r.err, "error: /nonexistent/secprov.yaml: no such file or directory\n");
}

TEST(CheckInconsistent, N4AuthenticationMismatchExitsOne) {
  const auto path = (kFixtures / "inconsistent" / "n4-authentication.yaml").string();
  const auto r = cli({"check", "-f", path, "-o", "json"});
  EXPECT_EQ(r.code, kExitFindings) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  ASSERT_EQ(json["findings"].size(), 1u) << json.dump(2);
  const auto& f = json["findings"][0];
  EXPECT_EQ(f["reason"], "IpsecAuthenticationMismatch");
  EXPECT_EQ(f["severity"], "Error");
  EXPECT_EQ(f["interface"], "N4");
  EXPECT_EQ(f["a"], "core/smf");
  EXPECT_EQ(f["b"], "core/upf");
  EXPECT_EQ(f["source"]["file"], path);
  EXPECT_EQ(f["source"]["document"], 1);
  EXPECT_EQ(f["source"]["line"], 3);
}

TEST(CheckInconsistent, TableNamesThePairAndTheReason) {
  const auto path = (kFixtures / "inconsistent" / "n4-authentication.yaml").string();
  const auto r = cli({"check", "-f", path});
  EXPECT_EQ(r.code, kExitFindings);
  EXPECT_NE(r.out.find("Error    N4         core/smf -> core/upf  IpsecAuthenticationMismatch"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("1 error(s)"), std::string::npos) << r.out;
}

TEST(CheckSarif, ShapeOfSarif210) {
  const auto inconsistent = (kFixtures / "inconsistent" / "n4-authentication.yaml").string();
  const auto broken = (kFixtures / "broken" / "bad-field.yaml").string();
  const auto r = cli({"check", "-f", inconsistent, "-f", broken, "-o", "sarif"});
  EXPECT_EQ(r.code, kExitBadInput);
  const auto sarif = nlohmann::json::parse(r.out);
  EXPECT_EQ(sarif["version"], "2.1.0");
  EXPECT_TRUE(sarif["$schema"].get<std::string>().find("sarif-2.1.0") != std::string::npos);
  ASSERT_EQ(sarif["runs"].size(), 1u);
  const auto& run = sarif["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["name"], "secprovctl");
  EXPECT_EQ(run["tool"]["driver"]["version"], version());
  std::vector<std::string> rule_ids;
  for (const auto& rule : run["tool"]["driver"]["rules"]) {
    rule_ids.push_back(rule["id"]);
    EXPECT_TRUE(rule["shortDescription"]["text"].is_string());
  }
  EXPECT_EQ(rule_ids, (std::vector<std::string>{"invalid-input", "ipsec_same_authentication"}));
  ASSERT_EQ(run["results"].size(), 2u);
  for (const auto& result : run["results"]) {
    const auto id = result["ruleId"].get<std::string>();
    EXPECT_EQ(rule_ids.at(result["ruleIndex"].get<std::size_t>()), id);
    EXPECT_EQ(result["level"], "error");
    EXPECT_TRUE(result["message"]["text"].is_string());
    ASSERT_EQ(result["locations"].size(), 1u);
    const auto& location = result["locations"][0]["physicalLocation"];
    const auto uri = location["artifactLocation"]["uri"].get<std::string>();
    EXPECT_EQ(uri, id == "invalid-input" ? broken : inconsistent);
    EXPECT_EQ(location["region"]["startLine"], id == "invalid-input" ? 7 : 3);
  }
}

TEST(CheckSarif, SeverityLevels) {
  CheckResult result;
  for (const auto severity :
       {check::Severity::Error, check::Severity::Warning, check::Severity::Info}) {
    result.findings.push_back(
        {"ns", check::Interface::Sbi, "ns/a", "ns/b", {"c", "R", "m", severity}, std::nullopt});
  }
  const auto sarif = to_sarif(result, "1");
  std::vector<std::string> levels;
  for (const auto& r : sarif["runs"][0]["results"]) levels.push_back(r["level"]);
  EXPECT_EQ(levels, (std::vector<std::string>{"error", "warning", "note"}));
  EXPECT_EQ(result.exit_code(), kExitFindings);
  result.findings.erase(result.findings.begin(), result.findings.begin() + 2);
  EXPECT_EQ(result.exit_code(), kExitClean);  // Info alone is clean
}

TEST(CheckScope, ProfilesWithoutNamespaceAreInTheDefaultOne) {
  Manifests manifests;
  add_manifest_text(manifests, "inline.yaml", R"(apiVersion: secprov.io/v1alpha1
kind: SecurityProfile
metadata:
  name: upf
spec:
  nfType: UPF
  selector: {matchLabels: {app: upf}}
  trustDomainRef: {name: td}
)");
  const auto resources = parse_resources(manifests, "team-a");
  ASSERT_EQ(resources.profiles.size(), 1u) << resources.errors.size();
  EXPECT_EQ(resources.profiles[0].value.metadata.namespace_, "team-a");
  EXPECT_EQ(scope_of(resources, "team-a").profiles.size(), 1u);
  EXPECT_TRUE(scope_of(resources, "other").profiles.empty());
}

TEST(CheckScope, ExternalPeersOfSpecConsistencyArePairs) {
  Manifests manifests;
  add_manifest_text(manifests, "upf.yaml", R"(apiVersion: secprov.io/v1alpha1
kind: SecurityProfile
metadata: {name: upf, namespace: core}
spec:
  nfType: UPF
  selector: {matchLabels: {app: upf}}
  trustDomainRef: {name: td}
  ipsec:
    interfaces:
      - name: N3
        localAddress: 10.10.3.1
        peers:
          - {name: gnb-1, address: 10.10.3.11, remoteId: gnb-1.example.org}
        authentication: Certificate
  consistency:
    externalPeers:
      - {name: gnb-1, type: gNB}
)");
  const auto result = run_check(manifests);
  ASSERT_TRUE(result.errors.empty()) << result.errors.front().text();
  EXPECT_TRUE(result.unresolved_peers.empty()) << testing::PrintToString(result.unresolved_peers);
  ASSERT_EQ(result.findings.size(), 1u) << format_table(result);
  EXPECT_EQ(result.findings[0].b, "external/gnb-1");
  EXPECT_EQ(result.findings[0].finding.reason, "IpsecNotConfigured");
  EXPECT_EQ(result.exit_code(), kExitFindings);
}

}  // namespace
}  // namespace secprov::ctl
