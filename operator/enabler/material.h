#pragma once
// What the enabler serves from its mounted volumes: a snapshot of the files, its digest (the
// project's one digest scheme, render/digest.h) and the checks the new set must pass before
// HAProxy is asked to load it. The kubelet swaps a `..data` symlink atomically; entries whose
// names start with ".." are its bookkeeping and are not part of the snapshot.

#include <filesystem>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace secprov::enabler {

// Path (as "<watched dir>/<name>" or the single file given) -> content. Holds private keys:
// never log the contents.
struct Snapshot {
  std::map<std::string, std::string> files;
};

// A snapshot could not be read (a file vanished mid-swap, a directory is missing).
struct ReadError {
  std::string path;
  std::string reason;
};

// Regular files (after following symlinks) directly in each watched path; a watched path
// that is itself a file is read as such. Subdirectories and ".."-names are skipped.
std::variant<Snapshot, ReadError> read_snapshot(const std::vector<std::filesystem::path>& paths);

// "sha256:<hex>" over per-file SHA-256 digests (render::object_digest of the files).
std::string digest(const Snapshot& snapshot);

// Why a file of the new set must not be served. `detail` names the file and the failure,
// never any of its content.
struct MaterialProblem {
  enum class Kind {
    UnreadableCertificate,  // *.crt / *.pem without a parsable certificate
    UnreadableKey,          // *.key (or a key in a *.pem) that does not parse
    KeyMismatch,            // the key does not belong to the leaf certificate
  };
  Kind kind;
  std::string file;
  std::string detail;
};

std::string_view to_string(MaterialProblem::Kind kind) noexcept;

// Checks the TLS files of a snapshot, per directory:
//  - every *.crt / *.pem parses as a certificate chain (leaf first);
//  - the key of a certificate file X.crt / X.pem is X.key, X.crt.key / X.pem.key (the names
//    HAProxy looks up with and without ssl-load-extra-del-ext) or a private key inside X.pem;
//    it parses and matches the leaf's public key;
//  - every other *.key parses.
// Certificate files without a key (ca.crt: the trust bundle) only need to parse. Other files
// (the HAProxy configuration, a CRL) are left to `haproxy -c`.
std::vector<MaterialProblem> check_tls_material(const Snapshot& snapshot);

}  // namespace secprov::enabler
