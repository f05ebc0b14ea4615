#include "runtime/own_writes.h"

#include <gtest/gtest.h>

namespace secprov::runtime {
namespace {

Json secret(const std::string& name, const std::string& version) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"namespace", "ns"}, {"name", name}, {"resourceVersion", version}}}};
}

OwnWrites secrets_only() {
  return OwnWrites({"v1/Secret"});
}

TEST(OwnWrites, TheEchoOfAWriteIsRecognisedOnce) {
  auto writes = secrets_only();
  writes.record(secret("a", "10"));
  EXPECT_TRUE(writes.consume_echo(secret("a", "10")));
  // Used up: the same version again (a resync) is not an echo any more.
  EXPECT_FALSE(writes.consume_echo(secret("a", "10")));
  EXPECT_EQ(writes.size(), 0u);
}

TEST(OwnWrites, SomeoneElsesVersionIsNotAnEcho) {
  auto writes = secrets_only();
  writes.record(secret("a", "10"));
  // Drift: another writer's version of the same object, and another object.
  EXPECT_FALSE(writes.consume_echo(secret("a", "11")));
  EXPECT_FALSE(writes.consume_echo(secret("b", "10")));
  // The record stays for its own event, which may still come.
  EXPECT_TRUE(writes.consume_echo(secret("a", "10")));
}

TEST(OwnWrites, TwoWritesOfOnePassAreBothEchoesAndOvertakenRecordsGo) {
  auto writes = secrets_only();
  writes.record(secret("a", "10"));
  writes.record(secret("a", "11"));
  writes.record(secret("a", "12"));
  EXPECT_TRUE(writes.consume_echo(secret("a", "11")));
  // Events come in order: 10 was overtaken (its event was handled before it was recorded).
  EXPECT_FALSE(writes.consume_echo(secret("a", "10")));
  EXPECT_TRUE(writes.consume_echo(secret("a", "12")));
  EXPECT_EQ(writes.size(), 0u);
}

TEST(OwnWrites, KeepsAFewVersionsPerObject) {
  auto writes = secrets_only();
  for (int v = 1; v <= 10; ++v) writes.record(secret("a", std::to_string(v)));
  EXPECT_FALSE(writes.consume_echo(secret("a", "1")));
  EXPECT_TRUE(writes.consume_echo(secret("a", "10")));
  EXPECT_EQ(writes.size(), 0u);
}

TEST(OwnWrites, UntrackedTypesAndIncompleteObjectsAreIgnored) {
  auto writes = secrets_only();
  Json config_map = secret("a", "10");
  config_map["kind"] = "ConfigMap";
  writes.record(config_map);
  writes.record(secret("b", ""));
  writes.record(Json{{"apiVersion", "v1"}, {"kind", "Secret"}});
  writes.record(Json::array());
  EXPECT_EQ(writes.size(), 0u);
  EXPECT_FALSE(writes.consume_echo(config_map));
  EXPECT_FALSE(writes.consume_echo(Json("not an object")));
}

TEST(OwnWrites, ForgetDropsTheObjectsRecords) {
  auto writes = secrets_only();
  writes.record(secret("a", "10"));
  writes.record(secret("b", "10"));
  writes.forget(secret("a", "99"));
  EXPECT_EQ(writes.size(), 1u);
  EXPECT_FALSE(writes.consume_echo(secret("a", "10")));
  EXPECT_TRUE(writes.consume_echo(secret("b", "10")));
}

}  // namespace
}  // namespace secprov::runtime
