#include "cmd/secprovctl/yaml.h"

#include <gtest/gtest.h>

namespace secprov::ctl {
namespace {

TEST(ParseYamlDocuments, IndexesAndLinesOfEachDocument) {
  const auto parsed = parse_yaml_documents(
      "# leading comment\n---\na: 1\n---\n# only a comment\n---\n\nb: \"2\"\nc: true\n...\n");
  ASSERT_TRUE(parsed.errors.empty());
  ASSERT_EQ(parsed.documents.size(), 2u);
  EXPECT_EQ(parsed.documents[0].index, 1u);
  EXPECT_EQ(parsed.documents[0].line, 3);
  EXPECT_EQ(parsed.documents[0].value, nlohmann::json({{"a", 1}}));
  EXPECT_EQ(parsed.documents[1].index, 2u);
  EXPECT_EQ(parsed.documents[1].line, 8);
  EXPECT_EQ(parsed.documents[1].value, nlohmann::json({{"b", "2"}, {"c", true}}));
}

TEST(ParseYamlDocuments, OneBadDocumentDoesNotHideTheOthers) {
  const auto parsed = parse_yaml_documents("a: 1\n---\nb: [1, 2\n---\nc: 3\n");
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].index, 2u);
  EXPECT_GE(parsed.errors[0].line, 3);
  ASSERT_EQ(parsed.documents.size(), 2u);
  EXPECT_EQ(parsed.documents[1].index, 3u);
  EXPECT_EQ(parsed.documents[1].line, 5);
}

TEST(ParseYamlDocuments, ScalarsAreTypedAsKubectlDoes) {
  const auto parsed = parse_yaml_documents("v: \"1.2\"\nw: 1.2\nn: ~\ns: plain\nq: 'true'\n");
  ASSERT_EQ(parsed.documents.size(), 1u);
  const auto& v = parsed.documents[0].value;
  EXPECT_EQ(v["v"], "1.2");
  EXPECT_EQ(v["w"], 1.2);
  EXPECT_TRUE(v["n"].is_null());
  EXPECT_EQ(v["s"], "plain");
  EXPECT_EQ(v["q"], "true");
}

TEST(ToYaml, RoundTripsStringsThatLookLikeOtherTypesAndMultiLineText) {
  const nlohmann::json value = {{"version", "1.3"},   {"flag", "true"}, {"empty", ""},
                                {"number", 5},        {"yes", true},    {"text", "a\n  b\n"},
                                {"list", {"x", "y"}}, {"null", nullptr}};
  const auto yaml = to_yaml(value);
  EXPECT_NE(yaml.find("text: |"), std::string::npos) << yaml;
  const auto back = parse_yaml_documents(yaml);
  ASSERT_EQ(back.documents.size(), 1u) << yaml;
  EXPECT_EQ(back.documents[0].value, value) << yaml;
}

}  // namespace
}  // namespace secprov::ctl
