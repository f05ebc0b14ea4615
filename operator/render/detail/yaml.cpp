#include "render/detail/yaml.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <cctype>
#include <stdexcept>
#include <string_view>

#include "render/detail/common.h"

namespace secprov::render::detail {

namespace {

// Conservative: quoting a plain string is harmless, leaving "1.2" or "no" plain is not.
bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  static constexpr std::array<std::string_view, 14> kReserved = {
      "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", ".inf", ".nan", "<<", "="};
  const std::string l = lower(s);
  for (std::string_view r : kReserved) {
    if (l == r) return true;
  }
  const auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  if (digit(s.front())) return true;  // numbers, octal, hex, sexagesimal, timestamps
  if ((s.front() == '+' || s.front() == '-' || s.front() == '.') && s.size() > 1 &&
      (digit(s[1]) || s[1] == '.')) {
    return true;
  }
  return false;
}

void emit(YAML::Emitter& out, const nlohmann::ordered_json& v) {
  switch (v.type()) {
    case nlohmann::ordered_json::value_t::object:
      if (v.empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      out << YAML::BeginMap;
      for (const auto& [key, value] : v.items()) {
        out << YAML::Key;
        if (needs_quotes(key)) out << YAML::DoubleQuoted;
        out << key << YAML::Value;
        emit(out, value);
      }
      out << YAML::EndMap;
      return;
    case nlohmann::ordered_json::value_t::array:
      if (v.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      out << YAML::BeginSeq;
      for (const auto& item : v) emit(out, item);
      out << YAML::EndSeq;
      return;
    case nlohmann::ordered_json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      if (needs_quotes(s)) out << YAML::DoubleQuoted;
      out << s;
      return;
    }
    case nlohmann::ordered_json::value_t::boolean:
      out << v.get<bool>();
      return;
    case nlohmann::ordered_json::value_t::number_integer:
      out << v.get<long long>();
      return;
    case nlohmann::ordered_json::value_t::number_unsigned:
      out << v.get<unsigned long long>();
      return;
    case nlohmann::ordered_json::value_t::null:
      out << YAML::Null;
      return;
    default:
      throw std::logic_error("to_yaml: unsupported JSON value type");
  }
}

}  // namespace

std::string to_yaml(const nlohmann::ordered_json& doc, const std::vector<std::string>& comments) {
  YAML::Emitter out;
  out.SetIndent(2);
  std::string text;
  for (const auto& c : comments) text += c.empty() ? "#\n" : "# " + c + "\n";
  emit(out, doc);
  if (!out.good()) throw std::logic_error("to_yaml: " + out.GetLastError());
  text += out.c_str();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

}  // namespace secprov::render::detail
