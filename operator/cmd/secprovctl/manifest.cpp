#include "cmd/secprovctl/manifest.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <tuple>

#include "api/constants.h"
#include "yaml/yaml.h"

namespace secprov::ctl {
namespace {

namespace fs = std::filesystem;

bool manifest_extension(const fs::path& path) {
  const auto ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

void add_object(Manifests& out, const Source& source, const nlohmann::json& object) {
  if (object.is_null()) return;
  if (!object.is_object()) {
    out.errors.push_back({source, {}, {}, "a document must be an object (a Kubernetes manifest)"});
    return;
  }
  // kubectl's List: its items, each from the same document.
  if (object.value("kind", std::string{}) == "List" && object.contains("items")) {
    const auto& items = object["items"];
    if (!items.is_array()) {
      out.errors.push_back({source, "List", "items", "must be an array"});
      return;
    }
    for (const auto& item : items) add_object(out, source, item);
    return;
  }
  out.objects.push_back({source, object});
}

}  // namespace

std::string InputError::text() const {
  std::string out = source.file;
  if (source.document > 0) {
    out += ": document " + std::to_string(source.document) + " (line " +
           std::to_string(source.line) + ")";
  }
  if (!object.empty()) out += ": " + object;
  if (!field.empty()) out += ": " + field;
  return out + ": " + message;
}

std::string object_name(const nlohmann::json& object) {
  const auto metadata = object.value("metadata", nlohmann::json::object());
  if (!metadata.is_object()) return {};
  const auto ns = metadata.value("namespace", std::string{});
  const auto name = metadata.value("name", std::string{});
  return ns.empty() ? name : ns + "/" + name;
}

void add_manifest_text(Manifests& out, const std::string& file, const std::string& text) {
  ++out.files;
  if (fs::path(file).extension() == ".json") {
    try {
      const auto value = nlohmann::json::parse(text);
      // A JSON file is one document; an array is a list of objects.
      if (value.is_array()) {
        for (const auto& item : value) add_object(out, {file, 1, 1}, item);
      } else {
        add_object(out, {file, 1, 1}, value);
      }
    } catch (const nlohmann::json::parse_error& e) {
      out.errors.push_back({{file, 1, 1}, {}, {}, std::string("invalid JSON: ") + e.what()});
    }
    return;
  }
  const auto parsed = yaml::parse_documents(text);
  for (const auto& error : parsed.errors) {
    out.errors.push_back(
        {{file, error.index, error.line}, {}, {}, "invalid YAML: " + error.message});
  }
  for (const auto& document : parsed.documents) {
    add_object(out, {file, document.index, document.line}, document.value);
  }
  std::sort(out.errors.begin(), out.errors.end(), [](const auto& a, const auto& b) {
    return std::tie(a.source.file, a.source.document) < std::tie(b.source.file, b.source.document);
  });
}

Manifests load_manifests(const std::vector<std::string>& paths) {
  Manifests out;
  for (const auto& path : paths) {
    std::error_code ec;
    std::vector<fs::path> files;
    if (fs::is_directory(path, ec)) {
      for (auto it = fs::recursive_directory_iterator(path, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && manifest_extension(it->path())) files.push_back(it->path());
      }
      std::sort(files.begin(), files.end());
    } else if (fs::exists(path, ec)) {
      files.emplace_back(path);
    } else {
      out.errors.push_back({{path, 0, 1}, {}, {}, "no such file or directory"});
      continue;
    }
    for (const auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        out.errors.push_back({{file.string(), 0, 1}, {}, {}, "cannot be read"});
        continue;
      }
      std::ostringstream text;
      text << in.rdbuf();
      add_manifest_text(out, file.string(), text.str());
    }
  }
  return out;
}

Resources parse_resources(const Manifests& manifests, const std::string& default_namespace) {
  Resources out;
  out.errors = manifests.errors;
  for (const auto& manifest : manifests.objects) {
    const auto kind = manifest.object.value("kind", std::string{});
    const auto api_version = manifest.object.value("apiVersion", std::string{});
    const bool ours = api_version == api::kApiVersion;
    if (!ours || (kind != api::kSecurityProfileKind && kind != api::kTrustDomainKind)) {
      ++out.skipped;
      continue;
    }
    auto object = manifest.object;
    if (kind == api::kSecurityProfileKind) {
      auto& metadata = object["metadata"];
      if (metadata.is_object() && metadata.value("namespace", std::string{}).empty()) {
        metadata["namespace"] = default_namespace;
      }
    }
    const auto label = kind + " " + object_name(object);
    const auto errors = kind == api::kSecurityProfileKind ? api::check_security_profile(object)
                                                          : api::check_trust_domain(object);
    if (!errors.empty()) {
      for (const auto& e : errors) {
        out.errors.push_back({manifest.source, label, e.field, e.reason});
      }
      continue;
    }
    if (kind == api::kSecurityProfileKind) {
      auto parsed = api::parse_security_profile(object);
      if (!parsed.ok()) {
        for (const auto& e : parsed.errors()) {
          out.errors.push_back({manifest.source, label, e.field, e.reason});
        }
        continue;
      }
      out.profiles.push_back({std::move(parsed).value(), manifest.source});
    } else {
      auto parsed = api::parse_trust_domain(object);
      if (!parsed.ok()) {
        for (const auto& e : parsed.errors()) {
          out.errors.push_back({manifest.source, label, e.field, e.reason});
        }
        continue;
      }
      out.trust_domains.push_back({std::move(parsed).value(), manifest.source});
    }
  }
  // In input order: by file, then document.
  std::stable_sort(out.errors.begin(), out.errors.end(), [](const auto& a, const auto& b) {
    return std::tie(a.source.file, a.source.document) < std::tie(b.source.file, b.source.document);
  });
  return out;
}

}  // namespace secprov::ctl
