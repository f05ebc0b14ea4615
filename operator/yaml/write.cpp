#include <yaml-cpp/yaml.h>

#include <array>
#include <cctype>
#include <stdexcept>
#include <string_view>

#include "yaml/yaml.h"

namespace secprov::yaml {
namespace {

bool digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

// Conservative: quoting a plain string is harmless, leaving "1.2" or "no" plain is not. Covers
// what YAML 1.1 (Open5GS's libyaml, kubectl's go-yaml) and 1.2 (free5GC) resolve to another
// type; yaml-cpp itself quotes what is no valid plain scalar (": ", "- ", "#", leading blanks).
bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  static constexpr std::array<std::string_view, 14> kReserved = {
      "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", ".inf", ".nan", "<<", "="};
  std::string lower(s);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view r : kReserved) {
    if (lower == r) return true;
  }
  if (digit(s.front())) return true;  // numbers, octal, hex, sexagesimal, timestamps
  if (s.starts_with("---") || s.starts_with("...")) return true;  // document markers at column 0
  return (s.front() == '+' || s.front() == '-' || s.front() == '.') && s.size() > 1 &&
         (digit(s[1]) || s[1] == '.');
}

// yaml-cpp writes "|" (clip chomping) with the indentation taken from the first line, so a
// literal block reads back exactly only for text ending in one newline whose first line starts
// with no blank, and without characters a block cannot carry.
bool literal_block(std::string_view s) {
  if (s.size() < 2 || s.back() != '\n' || s[s.size() - 2] == '\n') return false;
  if (s.front() == ' ' || s.front() == '\t' || s.front() == '\n') return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

void emit_string(YAML::Emitter& out, const std::string& s, bool key) {
  if (s.find('\n') != std::string::npos) {
    out << (!key && literal_block(s) ? YAML::Literal : YAML::DoubleQuoted);
  } else if (needs_quotes(s)) {
    out << YAML::DoubleQuoted;
  }
  out << s;
}

template <typename Json>
void emit(YAML::Emitter& out, const Json& v) {
  switch (v.type()) {
    case Json::value_t::object:
      if (v.empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      out << YAML::BeginMap;
      for (const auto& [key, value] : v.items()) {
        out << YAML::Key;
        emit_string(out, key, true);
        out << YAML::Value;
        emit(out, value);
      }
      out << YAML::EndMap;
      return;
    case Json::value_t::array:
      if (v.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      out << YAML::BeginSeq;
      for (const auto& item : v) emit(out, item);
      out << YAML::EndSeq;
      return;
    case Json::value_t::string:
      emit_string(out, v.template get_ref<const std::string&>(), false);
      return;
    case Json::value_t::boolean:
      out << v.template get<bool>();
      return;
    case Json::value_t::number_integer:
      out << v.template get<long long>();
      return;
    case Json::value_t::number_unsigned:
      out << v.template get<unsigned long long>();
      return;
    case Json::value_t::number_float: {
      // Shortest text that reads back as the same double; YAML 1.1 wants a dot ("1.0e+100").
      std::string text = v.dump();
      if (const auto e = text.find('e');
          e != std::string::npos && text.find('.') == std::string::npos) {
        text.insert(e, ".0");
      }
      out << text;
      return;
    }
    case Json::value_t::null:
      out << YAML::Null;
      return;
    default:
      throw std::logic_error("to_yaml: unsupported JSON value type");
  }
}

template <typename Json>
std::string write(const Json& value, const std::vector<std::string>& comments) {
  YAML::Emitter out;
  out.SetIndent(2);
  std::string text;
  for (const auto& c : comments) text += c.empty() ? "#\n" : "# " + c + "\n";
  emit(out, value);
  if (!out.good()) throw std::logic_error("to_yaml: " + out.GetLastError());
  text += out.c_str();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

}  // namespace

std::string to_yaml(const nlohmann::json& value, const std::vector<std::string>& comments) {
  return write(value, comments);
}

std::string to_yaml(const nlohmann::ordered_json& value, const std::vector<std::string>& comments) {
  return write(value, comments);
}

}  // namespace secprov::yaml
