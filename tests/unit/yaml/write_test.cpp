#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "yaml/yaml.h"

namespace secprov::yaml {
namespace {

// Strings a YAML 1.1 or 1.2 reader could take for another type.
const std::vector<std::string> kQuoted = {
    "",     "1.2", "yes",   "Yes",        "NO",   "on",   "Off",  "y",    "n",     "010",
    "0x1F", "1e3", "12:30", "2001-12-14", "~",    "null", "Null", "true", "False", ".5",
    "-1",   "+1",  ".inf",  "-.inf",      ".NaN", "<<",   "=",    "0o17", "---",   "... x"};

// Strings with YAML syntax in them, blanks, or several lines.
const std::vector<std::string> kAwkward = {
    "a: b",     "- x",        "#c",      "a #b",        " lead",       "trail ",  "[x]",
    "{y}",      "&a",         "*a",      "!t",          "|",           ">",       "%",
    "@",        "`",          "'",       "\"",          "-",           "?",       ":",
    "a\n  b\n", "no end\nnl", "two\n\n", "\n",          " first\nx\n", "tab\tin", "cr\r\nlf\n",
    "ü ∀",      "--- x",      "...",     "x\n---\ny\n", "x\n...\ny\n", "\ttab\n", "a\n#b\n"};

TEST(ToYaml, QuotesStringsThatReadAsAnotherType) {
  for (const auto& s : kQuoted) {
    const auto yaml = to_yaml(nlohmann::json{{"k", s}});
    EXPECT_EQ(yaml, "k: \"" + s + "\"\n") << s;
    EXPECT_EQ(to_yaml(nlohmann::json{{s, 1}}), "\"" + s + "\": 1\n") << s;  // keys too
  }
}

TEST(ToYaml, LeavesOrdinaryStringsPlain) {
  for (const std::string s : {"plain", "amf", "/etc/open5gs/tls/ca.crt", "open5gs.yaml", "TLSv1.3",
                              "a-b", "x.y", "urn:uuid:6f1e", "http://nrf:80"}) {
    EXPECT_EQ(to_yaml(nlohmann::json{{"k", s}}), "k: " + s + "\n") << s;
  }
}

TEST(ToYaml, EveryValueReadsBackUnchanged) {
  nlohmann::json value = {{"int", 5},
                          {"neg", -3},
                          {"big", 18446744073709551615u},
                          {"float", 1.5},
                          {"tiny", -0.25},
                          {"huge", 1e100},
                          {"whole", 2.0},
                          {"yes", true},
                          {"no", false},
                          {"null", nullptr},
                          {"map", nlohmann::json::object()},
                          {"seq", nlohmann::json::array()},
                          {"nested", {{"a", {1, "b"}}}}};
  for (const auto& s : kQuoted) value["quoted"].push_back(s);
  for (const auto& s : kAwkward) value["awkward"].push_back(s);
  for (const auto& s : kAwkward) value["keys"][s] = s;
  const auto yaml = to_yaml(value);
  const auto back = parse_documents(yaml);
  ASSERT_TRUE(back.errors.empty()) << back.errors[0].message << "\n" << yaml;
  ASSERT_EQ(back.documents.size(), 1u) << yaml;
  EXPECT_EQ(back.documents[0].value, value) << yaml;
}

TEST(ToYaml, MultiLineTextIsALiteralBlockWhereItReadsBack) {
  const auto yaml = to_yaml(nlohmann::json{{"text", "a: 1\n  b: [2]\n"}, {"bare", "x\ny"}});
  EXPECT_NE(yaml.find("text: |\n  a: 1\n    b: [2]\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("bare: \"x\\ny\""), std::string::npos) << yaml;  // no final newline
}

TEST(ToYaml, OrderedDocumentWithCommentsAsRendered) {
  nlohmann::ordered_json doc;
  doc["z"]["version"] = "1.2";
  doc["z"]["port"] = 7777;
  doc["a"] = nlohmann::ordered_json::array();
  doc["b"] = nlohmann::ordered_json::object();
  doc["c"] = {"on", "TLS"};
  doc["d"] = nullptr;
  EXPECT_EQ(to_yaml(doc, {"first", "", "last"}),
            "# first\n#\n# last\n"
            "z:\n  version: \"1.2\"\n  port: 7777\n"
            "a: []\nb: {}\nc:\n  - \"on\"\n  - TLS\nd: ~\n");
}

TEST(ToYaml, DocumentMarkersAtTheTopAreQuoted) {
  const nlohmann::json value = {{"--- x", "... y"}};
  EXPECT_EQ(to_yaml(value), "\"--- x\": \"... y\"\n");
  EXPECT_EQ(parse(to_yaml(value)), value);
}

TEST(ToYaml, FloatsHaveADotForYaml11Readers) {
  EXPECT_EQ(to_yaml(nlohmann::json{{"f", 1e100}, {"g", 2.0}, {"h", 0.25}}),
            "f: 1.0e+100\ng: 2.0\nh: 0.25\n");
}

TEST(ToYaml, ScalarAtTheTop) {
  EXPECT_EQ(to_yaml(nlohmann::json("yes")), "\"yes\"\n");
  EXPECT_EQ(to_yaml(nlohmann::json::object()), "{}\n");
}

}  // namespace
}  // namespace secprov::yaml
