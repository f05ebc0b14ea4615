#include "cmd/secprovctl/cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "api/constants.h"
#include "check/catalogue.h"
#include "cmd/secprovctl/check_command.h"
#include "cmd/secprovctl/diff_command.h"
#include "cmd/secprovctl/explain.h"
#include "cmd/secprovctl/manifest.h"
#include "cmd/secprovctl/render_command.h"

namespace secprov::ctl {
namespace {

constexpr std::string_view kCheckHelp = R"(
DESCRIPTION
  Validates SecurityProfile and TrustDomain manifests as the admission webhook does
  (the CRD schema and rules), then runs the consistency checks of the operator over every
  pair of profiles that talk to each other (the 3GPP interface catalogue: SBI relations,
  N2, N3, N4, N9, N32), per namespace. No cluster is needed.

INPUTS
  -f accepts files and directories (repeatable). Directories are read recursively; files
  ending in .yaml, .yml or .json are read in path order. YAML files may hold several
  documents; a "kind: List" is expanded. Objects of other kinds are skipped and counted.
  Profiles without metadata.namespace are in --namespace.

OUTPUT
  table  one line per finding (severity, interface, pair, reason, message) and a summary
  json   {"summary", "invalidInputs", "findings", "unresolvedPeers"}; each finding has its
         namespace, interface, ends a and b, check, reason, severity, message and source
         (file, document, line)
  sarif  SARIF 2.1.0 for code-review annotations: rules are the check names; levels
         error/warning/note; each result points at the file and line of the document
  Invalid input is also written to standard error, naming the file, the document (1-based),
  its line, the object and the field.

EXIT CODES
  0  clean: no Error or Warning finding (Info notes do not count)
  1  an Error or Warning finding
  2  bad input: a file that cannot be read, YAML/JSON that does not parse, an object the
     API rejects; or bad usage

EXAMPLE
  secprovctl check -f deploy/samples/amf.yaml -f manifests/ -o sarif > secprov.sarif
)";

constexpr std::string_view kRenderHelp = R"(
DESCRIPTION
  Prints every object the operator writes for each SecurityProfile of the input, computed
  by the same render functions the operator's profile reconciler calls: the ConfigMap
  <profile>-security (security.yaml, the native Open5GS/free5GC configuration, the security
  enabler's haproxy.cfg and openssl.cnf), and the Secret skeletons <profile>-tls,
  <profile>-ipsec (swanctl.conf and PSKs), <profile>-oauth2-signing and <profile>-n32, with
  their labels, annotations and owner reference. Secrets carry their keys with empty values:
  key material is never rendered.

INPUTS
  -f                 manifests (files or directories) with the SecurityProfiles; a TrustDomain
                     among them is used for the profiles that reference it
  --trust-domain     a TrustDomain manifest (certificate subject, CA fingerprint in status)
  --trust-bundle     the domain's ca.crt (PEM): the CA fingerprint in the digest annotations
  --nf-instance-id   the nfInstanceId when the spec has none (the operator generates one; its
                     status.nfInstanceId says which)
  --nrf-certificate  an OAuth2 producer's nrf.crt (the NRF's signing certificate, PEM)
  What is not given is replaced by a placeholder, said on standard error.

OUTPUT
  yaml (default): a multi-document YAML stream; json: a v1 List.

EXIT CODES
  0  rendered; 2 bad input or a spec that cannot be rendered (naming the field)

EXAMPLE
  secprovctl render -f deploy/samples/amf.yaml --trust-domain deploy/samples/trustdomain.yaml
)";

constexpr std::string_view kExplainHelp = R"(
DESCRIPTION
  Explains an interface of the built-in 3GPP catalogue: its relations (which NF types or
  external nodes), the mechanisms protecting it (TLS, OAuth2, IPsec, N32) and, for each
  check the operator runs on it, the reasons it reports and what both sides need.

INPUTS
  TOPIC: N2, N3, N4, N9, N32, SBI, or an SBI relation consumer-producer such as AMF-AUSF
  (also AMF->AUSF; any case).

EXIT CODES
  0  explained; 2 unknown topic (the known ones are listed)

EXAMPLE
  secprovctl explain N4
  secprovctl explain amf-ausf
)";

constexpr std::string_view kDiffHelp = R"(
DESCRIPTION
  Compares what render prints for each SecurityProfile with the objects in a cluster:
  ConfigMaps key by key and value by value (the first differing line is shown), Secrets by
  their key sets only (values are never printed). The cluster is read with kubectl, run as a
  subprocess: $KUBECTL if set, else kubectl from PATH. The profile's uid and status
  nfInstanceId come from the cluster; an OAuth2 producer's nrf.crt is taken from its
  ConfigMap (it is the NRF's certificate, an input).

INPUTS
  -f            the SecurityProfile manifests (files or directories)
  --kubeconfig  passed to kubectl (default: kubectl's own: $KUBECONFIG, ~/.kube/config)
  --context     passed to kubectl
  and the render options --trust-domain, --trust-bundle, --nf-instance-id, --nrf-certificate

OUTPUT
  one line per difference, naming the object and the data key

EXIT CODES
  0  the cluster has what is rendered; 1 an object or key differs or is missing;
  2  bad input, or kubectl failed

EXAMPLE
  secprovctl diff -f deploy/samples/amf.yaml --kubeconfig ~/.kube/config
)";

constexpr std::string_view kCompletionHelp = R"(
DESCRIPTION
  Prints a shell completion script for bash or zsh (verbs, their options, -o values,
  explain topics, file names).

EXAMPLE
  source <(secprovctl completion bash)
  secprovctl completion zsh > "${fpath[1]}/_secprovctl"
)";

constexpr std::string_view kMainHelp = R"(
EXIT CODES
  0 success (check: clean; diff: in sync), 1 findings or differences, 2 bad input or usage.

Run "secprovctl <verb> --help" for a verb's inputs, outputs and examples.
)";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct RenderFlags {
  std::vector<std::string> files;
  std::string trust_domain;
  std::string trust_bundle;
  std::string nf_instance_id;
  std::string nrf_certificate;
  std::string output = "yaml";
  std::string namespace_ = "default";
};

void add_render_flags(CLI::App& verb, RenderFlags& flags, bool with_output) {
  verb.add_option("-f,--filename", flags.files, "manifest files or directories (repeatable)")
      ->required();
  verb.add_option("--trust-domain", flags.trust_domain, "a TrustDomain manifest")
      ->check(CLI::ExistingFile);
  verb.add_option("--trust-bundle", flags.trust_bundle, "the trust domain's ca.crt (PEM)")
      ->check(CLI::ExistingFile);
  verb.add_option("--nf-instance-id", flags.nf_instance_id,
                  "nfInstanceId for profiles whose spec has none");
  verb.add_option("--nrf-certificate", flags.nrf_certificate, "an OAuth2 producer's nrf.crt (PEM)")
      ->check(CLI::ExistingFile);
  verb.add_option("-n,--namespace", flags.namespace_,
                  "namespace of profiles without metadata.namespace")
      ->capture_default_str();
  if (with_output) {
    verb.add_option("-o,--output", flags.output, "yaml or json")
        ->check(CLI::IsMember({"yaml", "json"}))
        ->capture_default_str();
  }
}

// Loads the inputs of render and diff; writes invalid input to `err`. nullopt: exit 2.
struct Loaded {
  Resources resources;
  RenderInputs inputs;
};
std::optional<Loaded> load_for_render(const RenderFlags& flags, std::ostream& err) {
  Loaded loaded;
  auto manifests = load_manifests(flags.files);
  if (!flags.trust_domain.empty()) {
    const auto domains = load_manifests({flags.trust_domain});
    for (const auto& o : domains.objects) manifests.objects.push_back(o);
    for (const auto& e : domains.errors) manifests.errors.push_back(e);
  }
  loaded.resources = parse_resources(manifests, flags.namespace_);
  for (const auto& e : loaded.resources.errors) err << "error: " << e.text() << "\n";
  if (!loaded.resources.errors.empty()) return std::nullopt;
  if (loaded.resources.profiles.empty()) {
    err << "error: no SecurityProfile in the input\n";
    return std::nullopt;
  }
  try {
    if (!flags.trust_bundle.empty()) loaded.inputs.trust_bundle_pem = read_file(flags.trust_bundle);
    if (!flags.nrf_certificate.empty()) {
      loaded.inputs.nrf_certificate_pem = read_file(flags.nrf_certificate);
    }
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return std::nullopt;
  }
  loaded.inputs.nf_instance_id = flags.nf_instance_id;
  return loaded;
}

// The trust domain a profile references, when the input has it.
RenderInputs inputs_for(const Loaded& loaded, const api::SecurityProfile& profile) {
  auto inputs = loaded.inputs;
  for (const auto& d : loaded.resources.trust_domains) {
    if (d.value.metadata.name == profile.spec.trust_domain_ref.name) inputs.trust_domain = d.value;
  }
  return inputs;
}

int run_check_verb(const std::vector<std::string>& files, const std::string& output,
                   const std::string& namespace_, std::ostream& out, std::ostream& err) {
  const auto result = run_check(load_manifests(files), namespace_);
  for (const auto& e : result.errors) err << "error: " << e.text() << "\n";
  if (output == "json") {
    out << to_json(result).dump(2) << "\n";
  } else if (output == "sarif") {
    out << to_sarif(result, version()).dump(2) << "\n";
  } else {
    out << format_table(result);
  }
  return result.exit_code();
}

int run_render_verb(const RenderFlags& flags, std::ostream& out, std::ostream& err) {
  const auto loaded = load_for_render(flags, err);
  if (!loaded) return kExitBadInput;
  std::vector<nlohmann::json> objects;
  for (const auto& profile : loaded->resources.profiles) {
    const auto id = profile.value.metadata.namespace_ + "/" + profile.value.metadata.name;
    try {
      auto rendered = render_profile(profile.value, inputs_for(*loaded, profile.value));
      for (const auto& note : rendered.notes)
        err << "note: SecurityProfile " << id << ": " << note << "\n";
      for (auto& o : rendered.objects) objects.push_back(std::move(o));
    } catch (const std::exception& e) {
      err << "error: " << profile.source.file << ": document " << profile.source.document
          << " (line " << profile.source.line << "): SecurityProfile " << id << ": cannot render "
          << e.what() << "\n";
      return kExitBadInput;
    }
  }
  if (flags.output == "json") {
    out << objects_to_list(objects).dump(2) << "\n";
  } else {
    out << objects_to_yaml(objects);
  }
  return kExitClean;
}

int run_diff_verb(const RenderFlags& flags, const std::string& kubeconfig,
                  const std::string& context, std::ostream& out, std::ostream& err) {
  const auto loaded = load_for_render(flags, err);
  if (!loaded) return kExitBadInput;
  DiffOptions options;
  if (const char* kubectl = std::getenv("KUBECTL"); kubectl && *kubectl) options.kubectl = kubectl;
  options.kubeconfig = kubeconfig;
  options.context = context;
  int exit_code = kExitClean;
  std::vector<std::string> lines;
  for (const auto& profile : loaded->resources.profiles) {
    options.inputs = inputs_for(*loaded, profile.value);
    const auto result = diff_profiles({profile}, options);
    exit_code = std::max(exit_code, result.exit_code);
    for (const auto& line : result.lines) (result.exit_code == 2 ? err : out) << line << "\n";
  }
  if (exit_code == kExitClean) out << "no differences\n";
  return exit_code;
}

}  // namespace

std::string version() {
#ifdef SECPROV_VERSION
  return SECPROV_VERSION;
#else
  return "unknown";
#endif
}

std::string completion_script(const std::string& shell) {
  if (shell != "bash" && shell != "zsh") return {};
  std::string topics = "N2 N3 N4 N9 N32 SBI";
  std::set<std::string> relations;
  for (const auto& r : check::catalogue()) {
    if (r.interface == check::Interface::Sbi && !r.via_scp) {
      relations.insert(check::to_string(r.a) + "-" + check::to_string(r.b));
    }
  }
  for (const auto& r : relations) topics += " " + r;
  std::string script;
  if (shell == "zsh")
    script += "#compdef secprovctl\nautoload -U +X bashcompinit && bashcompinit\n";
  script += R"(# secprovctl completion ()" + shell + R"()
_secprovctl() {
  local cur prev verb
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  verb="${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "check render explain diff completion --help --version" -- "$cur"))
    return
  fi
  case "$prev" in
    -f|--filename|--trust-domain|--trust-bundle|--nrf-certificate|--kubeconfig)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
    -o|--output)
      if [ "$verb" = check ]; then
        COMPREPLY=($(compgen -W "table json sarif" -- "$cur"))
      else
        COMPREPLY=($(compgen -W "yaml json" -- "$cur"))
      fi
      return ;;
  esac
  case "$verb" in
    check) COMPREPLY=($(compgen -W "-f --filename -o --output -n --namespace --help" -- "$cur")) ;;
    render) COMPREPLY=($(compgen -W "-f --filename -o --output -n --namespace --trust-domain --trust-bundle --nf-instance-id --nrf-certificate --help" -- "$cur")) ;;
    diff) COMPREPLY=($(compgen -W "-f --filename -n --namespace --kubeconfig --context --trust-domain --trust-bundle --nf-instance-id --nrf-certificate --help" -- "$cur")) ;;
    explain) COMPREPLY=($(compgen -W ")" +
            topics + R"( --help" -- "$cur")) ;;
    completion) COMPREPLY=($(compgen -W "bash zsh --help" -- "$cur")) ;;
  esac
}
complete -o default -F _secprovctl secprovctl
)";
  return script;
}

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "secprovctl: check, render, explain and diff secprov SecurityProfiles and "
      "TrustDomains (GitOps pipelines and people; no cluster needed except for diff)",
      "secprovctl"};
  app.footer(std::string(kMainHelp));
  app.set_version_flag("--version", version());
  app.require_subcommand(1);

  std::vector<std::string> check_files;
  std::string check_output = "table";
  std::string check_namespace = "default";
  auto* check = app.add_subcommand("check",
                                   "validate manifests and check the consistency of "
                                   "peer profiles (exit 0 clean, 1 findings, 2 bad input)");
  check->footer(std::string(kCheckHelp));
  check->add_option("-f,--filename", check_files, "manifest files or directories (repeatable)")
      ->required();
  check->add_option("-o,--output", check_output, "table, json or sarif")
      ->check(CLI::IsMember({"table", "json", "sarif"}))
      ->capture_default_str();
  check
      ->add_option("-n,--namespace", check_namespace,
                   "namespace of profiles without metadata.namespace")
      ->capture_default_str();

  RenderFlags render_flags;
  auto* render = app.add_subcommand("render",
                                    "print every object the operator writes for a "
                                    "profile (Secrets as key skeletons)");
  render->footer(std::string(kRenderHelp));
  add_render_flags(*render, render_flags, true);

  std::string topic;
  auto* explain_verb = app.add_subcommand("explain", "what each side of an interface needs");
  explain_verb->footer(std::string(kExplainHelp));
  explain_verb->add_option("topic", topic, "N2, N3, N4, N9, N32, SBI or e.g. AMF-AUSF")->required();

  RenderFlags diff_flags;
  std::string kubeconfig;
  std::string context;
  auto* diff = app.add_subcommand("diff",
                                  "compare the rendered objects with a cluster's "
                                  "(kubectl; exit 0 same, 1 differs, 2 error)");
  diff->footer(std::string(kDiffHelp));
  add_render_flags(*diff, diff_flags, false);
  diff->add_option("--kubeconfig", kubeconfig, "kubeconfig for kubectl");
  diff->add_option("--context", context, "kubeconfig context for kubectl");

  std::string shell;
  auto* completion = app.add_subcommand("completion", "print a bash or zsh completion script");
  completion->footer(std::string(kCompletionHelp));
  completion->add_option("shell", shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));

  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? kExitClean : kExitBadInput;
  }
  if (check->parsed()) return run_check_verb(check_files, check_output, check_namespace, out, err);
  if (render->parsed()) return run_render_verb(render_flags, out, err);
  if (diff->parsed()) return run_diff_verb(diff_flags, kubeconfig, context, out, err);
  if (explain_verb->parsed()) {
    if (const auto text = explain(topic)) {
      out << *text;
      return kExitClean;
    }
    err << "error: no interface or relation \"" << topic
        << "\" in the catalogue; known: " << explain_topics() << "\n";
    return kExitBadInput;
  }
  if (completion->parsed()) {
    out << completion_script(shell);
    return kExitClean;
  }
  return kExitBadInput;
}

}  // namespace secprov::ctl
