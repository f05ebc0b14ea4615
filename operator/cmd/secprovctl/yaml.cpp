#include "cmd/secprovctl/yaml.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <regex>
#include <sstream>

namespace secprov::ctl {
namespace {

nlohmann::json scalar(const YAML::Node& node) {
  const std::string& v = node.Scalar();
  if (node.Tag() == "!") return v;  // quoted
  if (v == "true" || v == "True" || v == "TRUE") return true;
  if (v == "false" || v == "False" || v == "FALSE") return false;
  if (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL") return nullptr;
  static const std::regex kInt("^[-+]?[0-9]+$");
  static const std::regex kFloat(R"(^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$)");
  if (std::regex_match(v, kInt)) {
    try {
      return std::stoll(v);
    } catch (const std::out_of_range&) {
      return v;
    }
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

void emit(YAML::Emitter& out, const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key << key << YAML::Value;
        emit(out, item);
      }
      out << YAML::EndMap;
      break;
    case nlohmann::json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& item : value) emit(out, item);
      out << YAML::EndSeq;
      break;
    case nlohmann::json::value_t::string: {
      const auto& text = value.get_ref<const std::string&>();
      if (text.find('\n') != std::string::npos) {
        out << YAML::Literal << text;
      } else {
        // A string that would read back as another type is quoted.
        const auto reread = scalar(YAML::Load(text.empty() ? "''" : text));
        if (text.empty() || !reread.is_string() || reread.get<std::string>() != text) {
          out << YAML::DoubleQuoted << text;
        } else {
          out << text;
        }
      }
      break;
    }
    case nlohmann::json::value_t::boolean:
      out << (value.get<bool>() ? "true" : "false");
      break;
    case nlohmann::json::value_t::null:
      out << YAML::Null;
      break;
    default:
      out << value.dump();
  }
}

}  // namespace

YamlDocuments parse_yaml_documents(const std::string& text) {
  // Chunks between separator lines, each with the line it starts on.
  struct Chunk {
    int first_line = 0;  // 0-based
    std::string text;
  };
  std::vector<Chunk> chunks{{0, {}}};
  std::istringstream in(text);
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
  YamlDocuments out;
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

std::string to_yaml(const nlohmann::json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  emit(out, value);
  return std::string(out.c_str()) + "\n";
}

}  // namespace secprov::ctl
