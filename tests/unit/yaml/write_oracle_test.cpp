// The writer against yaml-cpp's emitter, which wrote this module's YAML before (and whose
// layout the rendered ConfigMaps keep, so their digests survive an upgrade): the same bytes
// for random documents of awkward strings, except where yaml-cpp left a lone carriage return
// plain, which a YAML 1.1 reader takes for a line break.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "yaml/yaml.h"

namespace secprov::yaml {
namespace {

using Json = nlohmann::json;

// ---- the reference: the writer as it was, on yaml-cpp's emitter (the quoting decision it
// made itself is what is compared) ----

void reference_string(YAML::Emitter& out, const std::string& s, bool key) {
  if (s.find('\n') != std::string::npos) {
    const bool literal = s.size() >= 2 && s.back() == '\n' && s[s.size() - 2] != '\n' &&
                         s.front() != ' ' && s.front() != '\t' && s.front() != '\n' &&
                         std::none_of(s.begin(), s.end(), [](char c) {
                           const auto u = static_cast<unsigned char>(c);
                           return (u < 0x20 && c != '\n' && c != '\t') || u == 0x7f;
                         });
    out << (!key && literal ? YAML::Literal : YAML::DoubleQuoted);
  }
  out << s;
}

void reference(YAML::Emitter& out, const Json& v) {
  switch (v.type()) {
    case Json::value_t::object:
      if (v.empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      out << YAML::BeginMap;
      for (const auto& [key, value] : v.items()) {
        out << YAML::Key;
        reference_string(out, key, true);
        out << YAML::Value;
        reference(out, value);
      }
      out << YAML::EndMap;
      return;
    case Json::value_t::array:
      if (v.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      out << YAML::BeginSeq;
      for (const auto& item : v) reference(out, item);
      out << YAML::EndSeq;
      return;
    case Json::value_t::string:
      reference_string(out, v.get_ref<const std::string&>(), false);
      return;
    case Json::value_t::boolean:
      out << v.get<bool>();
      return;
    case Json::value_t::number_integer:
      out << v.get<long long>();
      return;
    default:
      out << YAML::Null;
      return;
  }
}

std::string reference_yaml(const Json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  reference(out, value);
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

// Strings that yaml-cpp quotes for their syntax, or writes plain: the reserved words and
// numbers, which this module quotes by its own rule, are left out (the reference would write
// them plain).
const std::vector<std::string> kStrings = {"a",
                                           "plain",
                                           "-",
                                           "- x",
                                           "-x",
                                           "?",
                                           "? x",
                                           "?x",
                                           ":",
                                           ": x",
                                           ":x",
                                           "a:",
                                           "a: b",
                                           "a:b",
                                           "a :b",
                                           "#c",
                                           "a#b",
                                           "a #b",
                                           "a\t#b",
                                           " lead",
                                           "trail ",
                                           "trail\t",
                                           "[x]",
                                           "x]",
                                           "{y}",
                                           "y}",
                                           "&a",
                                           "*a",
                                           "!t",
                                           "|",
                                           ">",
                                           "%",
                                           "@",
                                           "`",
                                           "'",
                                           "\"",
                                           "a'b",
                                           "a\"b",
                                           "a\n  b\n",
                                           "no end\nnl",
                                           "two\n\n",
                                           "\n",
                                           " first\nx\n",
                                           "tab\tin",
                                           "cr\r\nlf\n",
                                           "\r\n",
                                           "ü ∀",
                                           "x\n---\ny\n",
                                           "\ttab\n",
                                           "a\n#b\n",
                                           "\x01x",
                                           "x\x7f",
                                           "\xc2\x85x",
                                           "\xc2\x80x",
                                           "\xc2\xa0x",
                                           "\xef\xbb\xbfx",
                                           "x\xef\xbb\xbf",
                                           "\xff\xfe",
                                           "\xe2\x82",
                                           "é",
                                           "日本",
                                           "\xf0\x9f\x98\x80",
                                           "http://nrf:80",
                                           "urn:uuid:6f1e",
                                           "/etc/x.crt",
                                           "a,b",
                                           "a[b]",
                                           "a{b}",
                                           "a&b",
                                           "a*b",
                                           "a!b",
                                           "a|b",
                                           "a>b",
                                           "a%b",
                                           "a@b",
                                           "a`b",
                                           "\\",
                                           "back\\slash",
                                           "line\nwith \"quote\"\n",
                                           "x\by",
                                           "x\fy",
                                           "ends with colon:",
                                           "k: |",
                                           "a\n\nb\n",
                                           "a\n \nb\n",
                                           std::string(1030, 'k'),
                                           std::string(1024, 'm'),
                                           "\x1b[1m",
                                           "x\x0b",
                                           "€",
                                           "\xed\xa0\x80",
                                           "\xef\xbf\xbe"};

class RandomDocuments {
 public:
  Json value(int depth) {
    if (depth <= 0 || rng_() % 3 == 0) return scalar();
    Json v = rng_() % 2 ? Json::object() : Json::array();
    const int size = 1 + static_cast<int>(rng_() % 4);
    for (int i = 0; i < size; ++i) {
      if (v.is_object()) {
        v[pick()] = value(depth - 1);
      } else {
        v.push_back(value(depth - 1));
      }
    }
    return v;
  }

 private:
  const std::string& pick() { return kStrings[rng_() % kStrings.size()]; }
  Json scalar() {
    switch (rng_() % 7) {
      case 0:
        return static_cast<int>(rng_() % 1000) - 500;
      case 1:
        return rng_() % 2 == 0;
      case 2:
        return nullptr;
      case 3:
        return Json::object();
      case 4:
        return Json::array();
      default:
        return pick();
    }
  }
  std::mt19937 rng_{20261201};
};

TEST(ToYamlOracle, EveryStringWhereAKeyAValueAndAnItemStand) {
  for (const auto& s : kStrings) {
    for (const Json& doc : {Json(s), Json{{s, s}}, Json::array({s}),
                            Json{{"k", Json::array({s, Json{{s, Json::array({s})}}})}}}) {
      EXPECT_EQ(to_yaml(doc), reference_yaml(doc)) << doc.dump(-1, ' ', true);
    }
  }
}

TEST(ToYamlOracle, RandomDocumentsAreWrittenAsYamlCppWroteThem) {
  RandomDocuments documents;
  int compared = 0;
  for (int i = 0; i < 20000; ++i) {
    const Json doc = documents.value(4);
    ASSERT_EQ(to_yaml(doc), reference_yaml(doc)) << doc.dump(-1, ' ', true);
    ++compared;
  }
  EXPECT_EQ(compared, 20000);
}

TEST(ToYamlOracle, ALoneCarriageReturnIsQuotedWhereYamlCppLeftItPlain) {
  const Json doc = {{"k", "a\rb"}};
  EXPECT_EQ(reference_yaml(doc), "k: a\rb\n");
  EXPECT_EQ(to_yaml(doc), "k: \"a\\rb\"\n");
  EXPECT_EQ(parse(to_yaml(doc)), doc);
}

}  // namespace
}  // namespace secprov::yaml
