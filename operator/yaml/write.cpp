#include <array>
#include <cctype>
#include <charconv>
#include <cstddef>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "yaml/yaml.h"

// Block YAML written directly. The layout and quoting are those yaml-cpp's emitter (0.7, indent
// 2) gave this module before; its per-character regular expressions were most of a profile's
// rendering time, and only a small, fixed subset of YAML is ever written here.
namespace secprov::yaml {
namespace {

constexpr std::size_t kIndent = 2;
// yaml-cpp writes a longer key in the explicit "? key" form.
constexpr std::size_t kLongKey = 1024;

bool digit(char c) {
  return c >= '0' && c <= '9';
}

// Conservative: quoting a plain string is harmless, leaving "1.2" or "no" plain is not. Covers
// what YAML 1.1 (Open5GS's libyaml, kubectl's go-yaml) and 1.2 (free5GC) resolve to another
// type.
bool reads_as_another_type(std::string_view s) {
  if (s.empty()) return true;
  static constexpr std::array<std::string_view, 14> kReserved = {
      "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", ".inf", ".nan", "<<", "="};
  if (s.size() <= 5) {
    std::array<char, 5> lower{};
    for (std::size_t i = 0; i < s.size(); ++i) {
      lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
    }
    const std::string_view folded(lower.data(), s.size());
    for (std::string_view r : kReserved) {
      if (folded == r) return true;
    }
  }
  if (digit(s.front())) return true;  // numbers, octal, hex, sexagesimal, timestamps
  if (s.starts_with("---") || s.starts_with("...")) return true;  // document markers at column 0
  return (s.front() == '+' || s.front() == '-' || s.front() == '.') && s.size() > 1 &&
         (digit(s[1]) || s[1] == '.');
}

bool blank_or_break(std::string_view s, std::size_t i) {
  if (i >= s.size()) return false;
  const char c = s[i];
  return c == ' ' || c == '\t' || c == '\n' || (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n');
}

// What a plain (unquoted) block scalar can carry and read back as the same string: YAML 1.2's
// ns-plain-first and ns-plain-char, minus every control character (yaml-cpp let a lone
// carriage return through, which a reader takes for a line break).
bool valid_plain(std::string_view s) {
  if (s.empty() || s.back() == ' ') return false;
  constexpr std::string_view kIndicators = ",[]{}#&*!|>'\"%@`";
  const char first = s.front();
  if (kIndicators.find(first) != std::string_view::npos || blank_or_break(s, 0)) return false;
  if ((first == '-' || first == '?' || first == ':') && (s.size() == 1 || blank_or_break(s, 1))) {
    return false;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    if (c == ':' && (i + 1 == s.size() || blank_or_break(s, i + 1))) return false;
    if (c == '#' && i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t')) return false;
    // C1 controls (U+0080..U+009F but U+0085) and a byte order mark.
    if (c == 0xc2 && i + 1 < s.size()) {
      const auto next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9f && next != 0x85) return false;
    }
    if (c == 0xef && s.substr(i, 3) == "\xEF\xBB\xBF") return false;
  }
  return true;
}

// A literal block ("|", clip chomping, indentation taken from the first line) reads back
// exactly only for text ending in one newline whose first line starts with no blank, and
// without characters a block cannot carry.
bool literal_block(std::string_view s) {
  if (s.size() < 2 || s.back() != '\n' || s[s.size() - 2] == '\n') return false;
  if (s.front() == ' ' || s.front() == '\t' || s.front() == '\n') return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

// The next UTF-8 code point of `s` from `i` (advanced past it); U+FFFD for a malformed sequence
// or a code point YAML cannot carry, as yaml-cpp read it.
int next_code_point(std::string_view s, std::size_t& i) {
  constexpr int kReplacement = 0xFFFD;
  const auto lead = static_cast<unsigned char>(s[i++]);
  int length = 0;
  switch (lead >> 4) {
    case 12:
    case 13:
      length = 2;
      break;
    case 14:
      length = 3;
      break;
    case 15:
      length = 4;
      break;
    default:
      if (lead < 0x80) return lead;
      return kReplacement;  // a continuation byte where a lead was expected
  }
  int code = lead & ~(0xFF << (7 - length));
  for (int rest = length - 1; rest > 0; --rest, ++i) {
    if (i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return kReplacement;
    code = (code << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
  }
  if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF) || (code & 0xFFFE) == 0xFFFE ||
      (code >= 0xFDD0 && code <= 0xFDEF)) {
    return kReplacement;
  }
  return code;
}

void append_code_point(std::string& out, int code) {
  if (code <= 0x7F) {
    out += static_cast<char>(code);
  } else if (code <= 0x7FF) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code <= 0xFFFF) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

void append_escape(std::string& out, int code) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  int digits = 8;
  out += '\\';
  if (code < 0xFF) {
    out += 'x';
    digits = 2;
  } else if (code < 0xFFFF) {
    out += 'u';
    digits = 4;
  } else {
    out += 'U';
  }
  for (; digits > 0; --digits) out += kHex[(code >> (4 * (digits - 1))) & 0xF];
}

void append_double_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const int code = next_code_point(s, i);
    switch (code) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        // Control characters, the C1 block with the no-break space, and a byte order mark.
        if (code < 0x20 || (code >= 0x80 && code <= 0xA0) || code == 0xFEFF) {
          append_escape(out, code);
        } else {
          append_code_point(out, code);
        }
    }
  }
  out += '"';
}

void append_indent(std::string& out, std::size_t column) {
  out.append(column, ' ');
}

// Literal block lines at `column`; empty lines stay empty.
void append_literal(std::string& out, std::string_view s, std::size_t column) {
  out += "|\n";
  bool line_start = true;
  for (const char c : s) {
    if (c == '\n') {
      out += '\n';
      line_start = true;
      continue;
    }
    if (line_start) append_indent(out, column);
    line_start = false;
    out += c;
  }
}

template <typename Json>
class BlockWriter {
 public:
  explicit BlockWriter(std::string& out) : out_(out) {}

  // `value` where the cursor stands after "key: " or "- " (or at a line start, at the top),
  // its nested lines at `column`.
  void node(const Json& value, std::size_t column) { node(value, column, column); }
  void node(const Json& value, std::size_t column, std::size_t literal_column) {
    if (value.is_object() && !value.empty()) {
      map(value, column);
    } else if (value.is_array() && !value.empty()) {
      sequence(value, column);
    } else {
      scalar(value, literal_column);
      out_ += '\n';
    }
  }

 private:
  // The first entry goes where the cursor stands; the others start lines at `column`.
  void map(const Json& value, std::size_t column) {
    bool first = true;
    for (const auto& [key, member] : value.items()) {
      if (!first) append_indent(out_, column);
      first = false;
      const bool long_key = key.size() > kLongKey;
      if (long_key) out_ += "? ";
      string(key, /*key=*/true, column);
      if (long_key) {
        // "? key", then ": value" on the next line, a container's first line beside it.
        out_ += '\n';
        append_indent(out_, column);
        out_ += ": ";
        node(member, column + kIndent);
        continue;
      }
      out_ += ':';
      value_after_key(member, column);
    }
  }

  void sequence(const Json& value, std::size_t column) {
    bool first = true;
    for (const auto& item : value) {
      if (!first) append_indent(out_, column);
      first = false;
      if (item.is_array() && !item.empty()) {
        // A sequence in a sequence starts on the next line.
        out_ += "-\n";
        append_indent(out_, column + kIndent);
      } else {
        out_ += "- ";
      }
      node(item, column + kIndent);
    }
  }

  void value_after_key(const Json& member, std::size_t column) {
    if ((member.is_object() || member.is_array()) && !member.empty()) {
      out_ += '\n';
      append_indent(out_, column + kIndent);
      node(member, column + kIndent);
      return;
    }
    out_ += ' ';
    node(member, column + kIndent);
  }

  // A scalar (or an empty container) where the cursor stands; a literal block's lines at
  // `column`.
  void scalar(const Json& value, std::size_t column) {
    switch (value.type()) {
      case Json::value_t::object:
        out_ += "{}";
        return;
      case Json::value_t::array:
        out_ += "[]";
        return;
      case Json::value_t::string:
        string(value.template get_ref<const std::string&>(), /*key=*/false, column);
        return;
      case Json::value_t::boolean:
        out_ += value.template get<bool>() ? "true" : "false";
        return;
      case Json::value_t::number_integer:
        number(value.template get<long long>());
        return;
      case Json::value_t::number_unsigned:
        number(value.template get<unsigned long long>());
        return;
      case Json::value_t::number_float: {
        // Shortest text that reads back as the same double; YAML 1.1 wants a dot ("1.0e+100").
        std::string text = value.dump();
        if (const auto e = text.find('e');
            e != std::string::npos && text.find('.') == std::string::npos) {
          text.insert(e, ".0");
        }
        out_ += text;
        return;
      }
      case Json::value_t::null:
        out_ += '~';
        return;
      default:
        throw std::logic_error("to_yaml: unsupported JSON value type");
    }
  }

  template <typename Number>
  void number(Number n) {
    std::array<char, 24> text{};
    const auto [end, error] = std::to_chars(text.data(), text.data() + text.size(), n);
    if (error != std::errc{}) throw std::logic_error("to_yaml: number does not fit");
    out_.append(text.data(), end);
  }

  void string(const std::string& s, bool key, std::size_t column) {
    if (s.find('\n') != std::string::npos) {
      if (!key && literal_block(s)) {
        // The caller's line break after the block's own leaves an empty line, as yaml-cpp
        // wrote (write() drops it at the end of the document).
        append_literal(out_, s, column);
      } else {
        append_double_quoted(out_, s);
      }
    } else if (reads_as_another_type(s) || !valid_plain(s)) {
      append_double_quoted(out_, s);
    } else {
      out_ += s;
    }
  }

  std::string& out_;
};

template <typename Json>
std::string write(const Json& value, const std::vector<std::string>& comments) {
  std::string text;
  for (const auto& c : comments) text += c.empty() ? "#\n" : "# " + c + "\n";
  // A literal block at the top is indented as one under a key would be.
  BlockWriter<Json>(text).node(value, 0, kIndent);
  if (text.ends_with("\n\n")) text.pop_back();  // a literal block last
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
