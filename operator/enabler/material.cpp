#include "enabler/material.h"

#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>

#include "crypto/certificate.h"
#include "crypto/encoding.h"
#include "crypto/errors.h"
#include "crypto/key.h"
#include "render/digest.h"

namespace secprov::enabler {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string stem_of(const std::string& path, std::string_view extension) {
  return path.substr(0, path.size() - extension.size());
}

}  // namespace

std::variant<Snapshot, ReadError> read_snapshot(const std::vector<fs::path>& paths) {
  Snapshot snapshot;
  for (const auto& watched : paths) {
    std::error_code error;
    if (fs::is_regular_file(watched, error)) {
      auto content = read_whole(watched);
      if (!content) return ReadError{watched.string(), "cannot read"};
      snapshot.files[watched.string()] = std::move(*content);
      continue;
    }
    if (!fs::is_directory(watched, error)) {
      return ReadError{watched.string(), error ? error.message() : "not a file or directory"};
    }
    fs::directory_iterator entries(watched, error);
    if (error) return ReadError{watched.string(), error.message()};
    for (const auto& entry : entries) {
      const auto name = entry.path().filename().string();
      if (name.rfind("..", 0) == 0) continue;  // kubelet's ..data and timestamped dirs
      std::error_code status_error;
      if (!fs::is_regular_file(entry.path(), status_error)) {
        if (status_error && status_error != std::errc::no_such_file_or_directory) {
          return ReadError{entry.path().string(), status_error.message()};
        }
        // A dangling symlink is a swap in progress: read again on the next poll.
        if (fs::is_symlink(entry.symlink_status(status_error))) {
          return ReadError{entry.path().string(), "dangling symlink"};
        }
        continue;
      }
      auto content = read_whole(entry.path());
      if (!content) return ReadError{entry.path().string(), "cannot read"};
      snapshot.files[(watched / name).string()] = std::move(*content);
    }
  }
  return snapshot;
}

std::string digest(const Snapshot& snapshot) {
  std::map<std::string, std::string> digests;
  for (const auto& [path, content] : snapshot.files) digests[path] = crypto::sha256_hex(content);
  return render::object_digest(digests);
}

std::string_view to_string(MaterialProblem::Kind kind) noexcept {
  switch (kind) {
    case MaterialProblem::Kind::UnreadableCertificate:
      return "UnreadableCertificate";
    case MaterialProblem::Kind::UnreadableKey:
      return "UnreadableKey";
    case MaterialProblem::Kind::KeyMismatch:
      return "KeyMismatch";
  }
  return "Unknown";
}

std::vector<MaterialProblem> check_tls_material(const Snapshot& snapshot) {
  using Kind = MaterialProblem::Kind;
  std::vector<MaterialProblem> problems;
  std::set<std::string> paired_keys;
  const auto find = [&](const std::string& path) -> const std::string* {
    const auto it = snapshot.files.find(path);
    return it == snapshot.files.end() ? nullptr : &it->second;
  };

  for (const auto& [path, content] : snapshot.files) {
    const bool crt = ends_with(path, ".crt");
    if (!crt && !ends_with(path, ".pem")) continue;
    std::optional<crypto::Certificate> leaf;
    try {
      leaf = crypto::Certificate::parse_chain(content).front();
    } catch (const crypto::CryptoError& e) {
      problems.push_back({Kind::UnreadableCertificate, path, e.what()});
      continue;
    }
    const auto stem = stem_of(path, crt ? ".crt" : ".pem");
    std::string key_path;
    const std::string* key_text = nullptr;
    for (const auto& candidate : {stem + ".key", path + ".key"}) {
      if ((key_text = find(candidate)) != nullptr) {
        key_path = candidate;
        break;
      }
    }
    if (key_text == nullptr && content.find("PRIVATE KEY-----") != std::string::npos) {
      key_path = path;
      key_text = &content;
    }
    if (key_text == nullptr) continue;  // a trust bundle
    paired_keys.insert(key_path);
    try {
      const auto key = crypto::PrivateKey::from_pem(*key_text);
      if (key.public_key_sha256() != leaf->public_key_sha256()) {
        problems.push_back(
            {Kind::KeyMismatch, path, key_path + " does not belong to the certificate"});
      }
    } catch (const crypto::CryptoError& e) {
      problems.push_back({Kind::UnreadableKey, key_path, e.what()});
    }
  }

  for (const auto& [path, content] : snapshot.files) {
    if (!ends_with(path, ".key") || paired_keys.count(path) != 0) continue;
    try {
      (void)crypto::PrivateKey::from_pem(content);
    } catch (const crypto::CryptoError& e) {
      problems.push_back({Kind::UnreadableKey, path, e.what()});
    }
  }
  return problems;
}

}  // namespace secprov::enabler
