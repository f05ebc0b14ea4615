#pragma once
// Manifests as secprovctl reads them: files and directories (recursively: *.yaml, *.yml,
// *.json, sorted by path), every document of each, "kind: List" expanded; and the
// SecurityProfiles and TrustDomains among them, validated as the admission webhook does.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/securityprofile.h"
#include "api/trustdomain.h"

namespace secprov::ctl {

// Where an object comes from.
struct Source {
  std::string file;
  std::size_t document = 0;  // 1-based; 0: the file itself
  int line = 1;              // 1-based first line of the document
};

struct Manifest {
  Source source;
  nlohmann::json object;
};

// Bad input (exit code 2): a file that cannot be read, a document that does not parse, or
// an object the API rejects. field: the API field ("spec.sbi.tls.minVersion"), if any.
struct InputError {
  Source source;
  std::string object;  // "SecurityProfile 5gc/amf"; empty when not known
  std::string field;
  std::string message;
  // "<file>: document <n> (line <l>): <object>: <field>: <message>"
  std::string text() const;
  friend bool operator==(const InputError&, const InputError&) = default;
};

struct Manifests {
  std::size_t files = 0;
  std::vector<Manifest> objects;  // in file order, then document order
  std::vector<InputError> errors;
};

// Reads `paths` (files or directories).
Manifests load_manifests(const std::vector<std::string>& paths);
// The same from text already read (`file` names it in messages; JSON when it ends in .json).
void add_manifest_text(Manifests& out, const std::string& file, const std::string& text);

template <class T>
struct Parsed {
  T value;
  Source source;
};

// The SecurityProfiles and TrustDomains of `manifests`, validated with
// api::check_security_profile / api::check_trust_domain (the webhook's checks); the rest
// counted in `skipped`. A profile without a namespace is in `default_namespace`.
struct Resources {
  std::vector<Parsed<api::SecurityProfile>> profiles;
  std::vector<Parsed<api::TrustDomain>> trust_domains;
  std::size_t skipped = 0;
  std::vector<InputError> errors;
};
Resources parse_resources(const Manifests& manifests,
                          const std::string& default_namespace = "default");

// "<namespace>/<name>" or "<name>" for a cluster-scoped object.
std::string object_name(const nlohmann::json& object);

}  // namespace secprov::ctl
