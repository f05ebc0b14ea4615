#include "cmd/secprovctl/check_command.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "check/catalogue.h"
#include "check/scope.h"

namespace secprov::ctl {
namespace {

std::string severity_name(check::Severity severity) {
  return std::string(check::to_string(severity));
}

std::string sarif_level(check::Severity severity) {
  switch (severity) {
    case check::Severity::Error:
      return "error";
    case check::Severity::Warning:
      return "warning";
    case check::Severity::Info:
      return "note";
  }
  return "note";
}

nlohmann::json source_json(const Source& source) {
  return {{"file", source.file}, {"document", source.document}, {"line", source.line}};
}

nlohmann::json sarif_location(const Source& source) {
  return {{"physicalLocation",
           {{"artifactLocation", {{"uri", source.file}}},
            {"region", {{"startLine", std::max(source.line, 1)}}}}}};
}

}  // namespace

std::size_t CheckResult::count(check::Severity severity) const {
  return static_cast<std::size_t>(
      std::count_if(findings.begin(), findings.end(),
                    [&](const auto& f) { return f.finding.severity == severity; }));
}

int CheckResult::exit_code() const {
  if (!errors.empty()) return kExitBadInput;
  if (count(check::Severity::Error) > 0 || count(check::Severity::Warning) > 0) {
    return kExitFindings;
  }
  return kExitClean;
}

check::Scope scope_of(const Resources& resources, const std::string& namespace_) {
  // The consistency controller's scope builder: the namespace's profiles, the external peers
  // their spec.consistency describes, every trust domain (fingerprints when the manifest has
  // its status; otherwise ends of one domain trust each other by its name).
  std::vector<api::SecurityProfile> profiles;
  for (const auto& profile : resources.profiles) profiles.push_back(profile.value);
  std::vector<api::TrustDomain> domains;
  for (const auto& domain : resources.trust_domains) domains.push_back(domain.value);
  return check::build_scope(profiles, domains, namespace_);
}

CheckResult run_check(const Manifests& manifests, const std::string& default_namespace) {
  const auto resources = parse_resources(manifests, default_namespace);
  CheckResult result;
  result.files = manifests.files;
  result.documents = manifests.objects.size();
  result.profiles = resources.profiles.size();
  result.trust_domains = resources.trust_domains.size();
  result.skipped = resources.skipped;
  result.errors = resources.errors;

  std::map<std::string, Source> sources;  // end id -> document
  std::set<std::string> namespaces;
  for (const auto& profile : resources.profiles) {
    const auto& meta = profile.value.metadata;
    sources.emplace(meta.namespace_ + "/" + meta.name, profile.source);
    namespaces.insert(meta.namespace_);
  }
  for (const auto& ns : namespaces) {
    const auto report = check::evaluate(scope_of(resources, ns));
    result.pairs += report.pairs.size();
    for (const auto& pair : report.pairs) {
      std::optional<Source> source;
      if (const auto it = sources.find(pair.a); it != sources.end()) {
        source = it->second;
      } else if (const auto jt = sources.find(pair.b); jt != sources.end()) {
        source = jt->second;
      }
      for (const auto& finding : pair.findings) {
        result.findings.push_back({ns, pair.interface, pair.a, pair.b, finding, source});
      }
    }
    for (const auto& peer : report.unresolved_peers) {
      result.unresolved_peers.push_back(ns + ": " + peer);
    }
  }
  return result;
}

std::string format_table(const CheckResult& result) {
  std::ostringstream out;
  // Invalid input goes to standard error (cli.cpp): the table lists findings.
  if (!result.findings.empty()) {
    std::size_t interface_width = 9;
    std::size_t pair_width = 4;
    std::size_t reason_width = 6;
    for (const auto& row : result.findings) {
      interface_width = std::max(interface_width, check::to_string(row.interface).size());
      pair_width = std::max(pair_width, row.a.size() + 4 + row.b.size());
      reason_width = std::max(reason_width, row.finding.reason.size());
    }
    const auto pad = [](std::string text, std::size_t width) {
      text.resize(std::max(width, text.size()), ' ');
      return text;
    };
    out << pad("SEVERITY", 9) << pad("INTERFACE", interface_width + 2)
        << pad("PAIR", pair_width + 2) << pad("REASON", reason_width + 2) << "MESSAGE\n";
    for (const auto& row : result.findings) {
      out << pad(severity_name(row.finding.severity), 9)
          << pad(std::string(check::to_string(row.interface)), interface_width + 2)
          << pad(row.a + " -> " + row.b, pair_width + 2)
          << pad(row.finding.reason, reason_width + 2) << row.finding.message << "\n";
    }
  }
  for (const auto& peer : result.unresolved_peers)
    out << "not checked (not in scope): " << peer << "\n";
  out << result.files << " file(s), " << result.documents << " object(s): " << result.profiles
      << " SecurityProfile(s), " << result.trust_domains << " TrustDomain(s), " << result.skipped
      << " other(s) skipped; " << result.pairs
      << " pair(s) checked: " << result.count(check::Severity::Error) << " error(s), "
      << result.count(check::Severity::Warning) << " warning(s), "
      << result.count(check::Severity::Info) << " note(s); " << result.errors.size()
      << " invalid input(s)\n";
  return out.str();
}

nlohmann::json to_json(const CheckResult& result) {
  auto errors = nlohmann::json::array();
  for (const auto& e : result.errors) {
    errors.push_back({{"source", source_json(e.source)},
                      {"object", e.object},
                      {"field", e.field},
                      {"message", e.message},
                      {"text", e.text()}});
  }
  auto findings = nlohmann::json::array();
  for (const auto& row : result.findings) {
    nlohmann::json f = {{"namespace", row.namespace_},
                        {"interface", check::to_string(row.interface)},
                        {"a", row.a},
                        {"b", row.b},
                        {"check", row.finding.check},
                        {"reason", row.finding.reason},
                        {"severity", severity_name(row.finding.severity)},
                        {"message", row.finding.message}};
    if (row.source) f["source"] = source_json(*row.source);
    findings.push_back(std::move(f));
  }
  return {{"summary",
           {{"files", result.files},
            {"objects", result.documents},
            {"securityProfiles", result.profiles},
            {"trustDomains", result.trust_domains},
            {"skipped", result.skipped},
            {"pairs", result.pairs},
            {"errors", result.count(check::Severity::Error)},
            {"warnings", result.count(check::Severity::Warning)},
            {"infos", result.count(check::Severity::Info)},
            {"invalidInputs", result.errors.size()},
            {"exitCode", result.exit_code()}}},
          {"invalidInputs", errors},
          {"findings", findings},
          {"unresolvedPeers", result.unresolved_peers}};
}

nlohmann::json to_sarif(const CheckResult& result, const std::string& version) {
  std::map<std::string, std::string> rules;  // id -> a reason it reports
  for (const auto& row : result.findings) rules.emplace(row.finding.check, row.finding.reason);
  if (!result.errors.empty()) rules.emplace("invalid-input", "InvalidInput");
  auto rule_list = nlohmann::json::array();
  std::map<std::string, std::size_t> rule_index;
  for (const auto& [id, reason] : rules) {
    rule_index[id] = rule_list.size();
    rule_list.push_back(
        {{"id", id},
         {"name", reason},
         {"shortDescription",
          {{"text", id == "invalid-input"
                        ? std::string("the manifest does not parse or the "
                                      "API rejects it")
                        : "consistency check " + id + " (reason " + reason + ")"}}}});
  }
  auto results = nlohmann::json::array();
  for (const auto& e : result.errors) {
    results.push_back({{"ruleId", "invalid-input"},
                       {"ruleIndex", rule_index["invalid-input"]},
                       {"level", "error"},
                       {"message", {{"text", e.text()}}},
                       {"locations", nlohmann::json::array({sarif_location(e.source)})}});
  }
  for (const auto& row : result.findings) {
    nlohmann::json r = {
        {"ruleId", row.finding.check},
        {"ruleIndex", rule_index[row.finding.check]},
        {"level", sarif_level(row.finding.severity)},
        {"message",
         {{"text", std::string(check::to_string(row.interface)) + " " + row.a + " -> " + row.b +
                       ": " + row.finding.reason + ": " + row.finding.message}}},
        {"properties",
         {{"reason", row.finding.reason},
          {"interface", check::to_string(row.interface)},
          {"namespace", row.namespace_}}}};
    r["locations"] = nlohmann::json::array();
    if (row.source) r["locations"].push_back(sarif_location(*row.source));
    results.push_back(std::move(r));
  }
  return {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs",
       nlohmann::json::array(
           {{{"tool",
              {{"driver", {{"name", "secprovctl"}, {"version", version}, {"rules", rule_list}}}}},
             {"results", results}}})}};
}

}  // namespace secprov::ctl
