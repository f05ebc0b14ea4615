#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "yaml/yaml.h"

namespace secprov::yaml {
namespace {

nlohmann::json scalar(const YAML::Node& node) {
  const std::string& v = node.Scalar();
  if (node.Tag() == "!") return v;  // quoted
  if (v == "true" || v == "True" || v == "TRUE") return true;
  if (v == "false" || v == "False" || v == "FALSE") return false;
  if (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL") return nullptr;
  static const std::regex kInt("^[-+]?[0-9]+$");
  // YAML 1.2 core floats ("1.5", ".5", "1e3"), so every float to_yaml writes reads back.
  static const std::regex kFloat(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
  if (std::regex_match(v, kInt)) {
    try {
      return std::stoll(v);
    } catch (const std::out_of_range&) {
    }
    try {
      if (v.front() != '-') return std::stoull(v);  // to_yaml writes uint64 beyond int64
    } catch (const std::out_of_range&) {
    }
    return v;
  }
  if (std::regex_match(v, kFloat)) return std::strtod(v.c_str(), nullptr);
  return v;
}

nlohmann::json convert(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return scalar(node);
    case YAML::NodeType::Sequence: {
      auto out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(convert(item));
      return out;
    }
    case YAML::NodeType::Map: {
      auto out = nlohmann::json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = convert(kv.second);
      return out;
    }
  }
  return nullptr;
}

bool is_separator(const std::string& line) {
  if (line.rfind("---", 0) != 0) return false;
  return line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r';
}

// The first line of `text` that is neither blank nor a comment (0-based); -1 when none.
int first_content_line(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  for (int n = 0; std::getline(in, line); ++n) {
    const auto at = line.find_first_not_of(" \t\r");
    if (at != std::string::npos && line[at] != '#') return n;
  }
  return -1;
}

}  // namespace

ParseError::ParseError(Error error)
    : std::runtime_error("YAML document " + std::to_string(error.index) + " line " +
                         std::to_string(error.line) + ": " + error.message),
      error_(std::move(error)) {}

Documents parse_documents(std::string_view text) {
  // Chunks between separator lines, each with the line it starts on.
  struct Chunk {
    int first_line = 0;  // 0-based
    std::string text;
  };
  std::vector<Chunk> chunks{{0, {}}};
  std::istringstream in{std::string(text)};
  std::string line;
  for (int n = 0; std::getline(in, line); ++n) {
    if (is_separator(line)) {
      chunks.push_back({n + 1, {}});
      // Content after "--- " on the same line belongs to the document.
      const auto rest = line.substr(3);
      if (rest.find_first_not_of(" \t\r") != std::string::npos) {
        chunks.back().first_line = n;
        chunks.back().text = rest + "\n";
      }
      continue;
    }
    chunks.back().text += line + "\n";
  }
  Documents out;
  std::size_t index = 0;
  for (const auto& chunk : chunks) {
    const auto content = first_content_line(chunk.text);
    if (content < 0) continue;  // blank or comments only: not a document
    ++index;
    try {
      const auto node = YAML::Load(chunk.text);
      out.documents.push_back({index, chunk.first_line + content + 1, convert(node)});
    } catch (const YAML::Exception& e) {
      const int line_in_chunk = e.mark.is_null() ? content : e.mark.line;
      out.errors.push_back({index, chunk.first_line + line_in_chunk + 1, e.msg});
    }
  }
  return out;
}

nlohmann::json parse(std::string_view text) {
  auto parsed = parse_documents(text);
  if (!parsed.errors.empty()) throw ParseError(std::move(parsed.errors.front()));
  if (parsed.documents.empty()) return nullptr;
  return std::move(parsed.documents.front().value);
}

std::vector<nlohmann::json> load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ParseError({0, 0, "cannot read " + path});
  std::ostringstream text;
  text << in.rdbuf();  // an empty file sets failbit on `text`: no documents, not an error
  if (in.bad()) throw ParseError({0, 0, "cannot read " + path});
  auto parsed = parse_documents(text.str());
  if (!parsed.errors.empty()) {
    auto error = std::move(parsed.errors.front());
    error.message = path + ": " + error.message;
    throw ParseError(std::move(error));
  }
  std::vector<nlohmann::json> out;
  for (auto& document : parsed.documents) {
    if (!document.value.is_null()) out.push_back(std::move(document.value));
  }
  return out;
}

}  // namespace secprov::yaml
