#include "api/meta.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace secprov::api {
namespace {

std::vector<std::string> keys(const Labels& labels) {
  std::vector<std::string> out;
  for (const auto& [key, value] : labels) out.push_back(key);
  return out;
}

TEST(Labels, KeepKeysInOrderAndTheFirstValueOfAKey) {
  Labels labels{{"tier", "core"}, {"app", "amf"}};
  EXPECT_TRUE(labels.emplace("nf", "amf-1").second);
  EXPECT_FALSE(labels.emplace("app", "smf").second);  // as std::map::emplace
  EXPECT_EQ(keys(labels), (std::vector<std::string>{"app", "nf", "tier"}));
  EXPECT_EQ(labels.at("app"), "amf");
  EXPECT_EQ(labels.size(), 3u);
  EXPECT_TRUE(labels.contains("tier"));
  EXPECT_EQ(labels.find("absent"), labels.end());
  EXPECT_THROW(static_cast<void>(labels.at("absent")), std::out_of_range);
}

TEST(Labels, EqualWhateverTheOrderTheyWereGivenIn) {
  const std::map<std::string, std::string> map{{"b", "2"}, {"a", "1"}};
  EXPECT_EQ(Labels(map), (Labels{{"b", "2"}, {"a", "1"}}));
  EXPECT_NE(Labels(map), (Labels{{"a", "1"}}));
  EXPECT_NE(Labels(map), (Labels{{"a", "1"}, {"b", "3"}}));
  Labels cleared(map);
  cleared.clear();
  EXPECT_TRUE(cleared.empty());
  EXPECT_EQ(cleared, Labels{});
}

TEST(Labels, WriteAsAJsonObject) {
  EXPECT_EQ(nlohmann::json(Labels{{"b", "2"}, {"a", "1"}}),
            (nlohmann::json{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(nlohmann::json(Labels{}), nlohmann::json::object());
}

TEST(ParseObjectMeta, ReadsStringLabelsAndSkipsOthers) {
  FieldErrors errs;
  const auto meta = parse_object_meta(
      nlohmann::json{{"name", "amf"}, {"labels", {{"app", "amf"}, {"replicas", 3}, {"a", "x"}}}},
      errs);
  EXPECT_TRUE(errs.empty());
  EXPECT_EQ(meta.labels, (Labels{{"a", "x"}, {"app", "amf"}}));
}

}  // namespace
}  // namespace secprov::api
