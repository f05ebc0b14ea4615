#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "yaml/yaml.h"

namespace secprov::yaml {
namespace {

TEST(ParseDocuments, IndexesAndLinesOfEachDocument) {
  const auto parsed = parse_documents(
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

TEST(ParseDocuments, ContentOnTheSeparatorLineBelongsToTheDocument) {
  const auto parsed = parse_documents("a: 1\n--- {b: 2}\n");
  ASSERT_TRUE(parsed.errors.empty());
  ASSERT_EQ(parsed.documents.size(), 2u);
  EXPECT_EQ(parsed.documents[1].line, 2);
  EXPECT_EQ(parsed.documents[1].value, nlohmann::json({{"b", 2}}));
}

TEST(ParseDocuments, OneBadDocumentDoesNotHideTheOthers) {
  const auto parsed = parse_documents("a: 1\n---\nb: [1, 2\n---\nc: 3\n");
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].index, 2u);
  EXPECT_GE(parsed.errors[0].line, 3);
  EXPECT_FALSE(parsed.errors[0].message.empty());
  ASSERT_EQ(parsed.documents.size(), 2u);
  EXPECT_EQ(parsed.documents[1].index, 3u);
  EXPECT_EQ(parsed.documents[1].line, 5);
}

TEST(ParseDocuments, ErrorLineIsTheLineOfTheTextNotOfTheDocument) {
  const auto parsed = parse_documents("a: 1\n---\nb: 2\nc: 3\n  d: 4\n");
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].index, 2u);
  EXPECT_EQ(parsed.errors[0].line, 5);
}

TEST(Parse, ScalarsAreTypedAsKubectlDoes) {
  const auto v = parse(
      "quoted: \"1.2\"\nfloat: 1.2\nexp: 1e3\nint: 010\nneg: -7\ntilde: ~\nnull: null\n"
      "empty:\nplain: plain\nsq: 'true'\nbool: true\nTitle: False\nyes: yes\nbig: "
      "99999999999999999999\n");
  EXPECT_EQ(v["quoted"], "1.2");
  EXPECT_EQ(v["float"], 1.2);
  EXPECT_EQ(v["exp"], 1000.0);
  EXPECT_EQ(v["int"], 10);
  EXPECT_EQ(v["neg"], -7);
  EXPECT_TRUE(v["tilde"].is_null());
  EXPECT_TRUE(v["null"].is_null());
  EXPECT_TRUE(v["empty"].is_null());
  EXPECT_EQ(v["plain"], "plain");
  EXPECT_EQ(v["sq"], "true");
  EXPECT_EQ(v["bool"], true);
  EXPECT_EQ(v["Title"], false);
  EXPECT_EQ(v["yes"], "yes");                   // YAML 1.2, as kubectl's JSON decoding keeps it
  EXPECT_EQ(v["big"], "99999999999999999999");  // beyond int64: kept as text
}

TEST(Parse, FirstDocumentOrNull) {
  EXPECT_EQ(parse("a: 1\n---\nb: 2\n"), nlohmann::json({{"a", 1}}));
  EXPECT_TRUE(parse("# nothing\n").is_null());
  EXPECT_TRUE(parse("").is_null());
}

TEST(Parse, InvalidYamlThrowsWithDocumentAndLine) {
  try {
    parse("a: 1\nb: [1,\n");
    FAIL() << "no ParseError";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.error().index, 1u);
    EXPECT_GE(e.error().line, 2);
    EXPECT_NE(std::string(e.what()).find("line"), std::string::npos);
  }
}

class LoadFile : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove(path_); }
  std::string write(const std::string& text) {
    std::ofstream(path_, std::ios::binary) << text;
    return path_.string();
  }
  std::filesystem::path path_ = std::filesystem::temp_directory_path() /
                                ("secprov-yaml-" + std::to_string(::getpid()) + ".yaml");
};

TEST_F(LoadFile, AllNonNullDocuments) {
  const auto docs = load_file(write("a: 1\n---\n---\n~\n---\nb: x\n"));
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0], nlohmann::json({{"a", 1}}));
  EXPECT_EQ(docs[1], nlohmann::json({{"b", "x"}}));
}

TEST_F(LoadFile, EmptyFileHasNoDocuments) {
  EXPECT_TRUE(load_file(write("")).empty());
}

TEST_F(LoadFile, InvalidDocumentThrowsWithItsLine) {
  const auto path = write("a: 1\n---\nb: {\n");
  try {
    load_file(path);
    FAIL() << "no ParseError";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.error().index, 2u);
    EXPECT_GE(e.error().line, 3);
    EXPECT_NE(e.error().message.find(path), std::string::npos);
  }
}

TEST_F(LoadFile, MissingFileThrows) {
  EXPECT_THROW(load_file((path_.parent_path() / "secprov-yaml-missing.yaml").string()), ParseError);
}

}  // namespace
}  // namespace secprov::yaml
