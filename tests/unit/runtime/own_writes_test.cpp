#include "runtime/own_writes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace secprov::runtime {
namespace {

Json secret(const std::string& name, const std::string& version) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"namespace", "ns"}, {"name", name}, {"resourceVersion", version}}}};
}

kube::WriteTarget target(const std::string& name) {
  return {"v1", "Secret", "ns", name};
}

// What became of the events handed to OwnWrites, in the order it was decided.
struct Outcomes {
  std::vector<std::string> skipped;
  std::vector<std::string> delivered;

  void event(OwnWrites& writes, const Json& object) {
    const auto name = object["metadata"]["name"].get<std::string>() + "@" +
                      object["metadata"]["resourceVersion"].get<std::string>();
    writes.on_event(
        object, [this, name] { skipped.push_back(name); },
        [this, name] { delivered.push_back(name); });
  }
};

using Names = std::vector<std::string>;

class OwnWritesTest : public ::testing::Test {
 protected:
  OwnWrites writes{{"v1/Secret"}};
  Outcomes seen;
};

// The answer of our write of `name`: it made `version`.
void answer(OwnWrites& writes, const std::string& name, const std::string& version) {
  const auto written = secret(name, version);
  writes.answered(target(name), &written);
}

// A write answered with `version` before its event came.
void write(OwnWrites& writes, const std::string& name, const std::string& version) {
  writes.sending(target(name));
  answer(writes, name, version);
}

TEST_F(OwnWritesTest, TheEchoOfAWriteAnsweredFirstIsSkippedOnce) {
  write(writes, "a", "10");
  seen.event(writes, secret("a", "10"));
  // Used up: the same version again (a resync) is not an echo any more.
  seen.event(writes, secret("a", "10"));
  EXPECT_EQ(seen.skipped, Names{"a@10"});
  EXPECT_EQ(seen.delivered, Names{"a@10"});
  EXPECT_EQ(writes.size(), 0u);
}

TEST_F(OwnWritesTest, AnEchoThatOvertakesTheAnswerWaitsForItAndIsSkipped) {
  writes.sending(target("a"));
  seen.event(writes, secret("a", "10"));
  // Undecided until the answer comes.
  EXPECT_EQ(seen.skipped.size() + seen.delivered.size(), 0u);
  EXPECT_EQ(writes.size(), 1u);
  answer(writes, "a", "10");
  EXPECT_EQ(seen.skipped, Names{"a@10"});
  EXPECT_EQ(seen.delivered, Names{});
  EXPECT_EQ(writes.size(), 0u);
}

TEST_F(OwnWritesTest, SomeoneElsesEditDuringAWriteIsDeliveredAtTheAnswer) {
  writes.sending(target("a"));
  // Another writer's version 9, then the echo of ours (10), both before our answer.
  seen.event(writes, secret("a", "9"));
  seen.event(writes, secret("a", "10"));
  // Another object's event is not held by a write of "a".
  seen.event(writes, secret("b", "10"));
  EXPECT_EQ(seen.delivered, Names{"b@10"});
  answer(writes, "a", "10");
  EXPECT_EQ(seen.skipped, Names{"a@10"});
  EXPECT_EQ(seen.delivered, (Names{"b@10", "a@9"}));
  EXPECT_EQ(writes.size(), 0u);
}

TEST_F(OwnWritesTest, SomeoneElsesVersionIsNotAnEcho) {
  write(writes, "a", "10");
  // Drift: another writer's version of the same object, and another object.
  seen.event(writes, secret("a", "11"));
  seen.event(writes, secret("b", "10"));
  EXPECT_EQ(seen.delivered, (Names{"a@11", "b@10"}));
  // The record stays for its own event, which may still come.
  seen.event(writes, secret("a", "10"));
  EXPECT_EQ(seen.skipped, Names{"a@10"});
}

TEST_F(OwnWritesTest, AFailedWriteDeliversTheEventsHeldForIt) {
  writes.sending(target("a"));
  seen.event(writes, secret("a", "10"));
  writes.answered(target("a"), nullptr);
  // An answer without a version proves nothing either.
  writes.sending(target("a"));
  seen.event(writes, secret("a", "11"));
  const Json status = {{"kind", "Status"}};
  writes.answered(target("a"), &status);
  EXPECT_TRUE(seen.skipped.empty());
  EXPECT_EQ(seen.delivered, (Names{"a@10", "a@11"}));
  EXPECT_EQ(writes.size(), 0u);
}

TEST_F(OwnWritesTest, EventsWaitForEveryWriteOfTheObjectInFlight) {
  writes.sending(target("a"));
  writes.sending(target("a"));
  seen.event(writes, secret("a", "10"));
  seen.event(writes, secret("a", "12"));
  // The second write answers first; version 10 may still be the first one's echo.
  answer(writes, "a", "12");
  EXPECT_EQ(seen.skipped, Names{"a@12"});
  EXPECT_TRUE(seen.delivered.empty());
  writes.answered(target("a"), nullptr);
  EXPECT_EQ(seen.delivered, Names{"a@10"});
  EXPECT_EQ(writes.size(), 0u);
}

TEST_F(OwnWritesTest, TwoWritesOfOnePassAreBothEchoesAndOvertakenRecordsGo) {
  write(writes, "a", "10");
  write(writes, "a", "11");
  write(writes, "a", "12");
  seen.event(writes, secret("a", "11"));
  // Events come in order: 10 was overtaken (its event was handled before it was recorded).
  seen.event(writes, secret("a", "10"));
  seen.event(writes, secret("a", "12"));
  EXPECT_EQ(seen.skipped, (Names{"a@11", "a@12"}));
  EXPECT_EQ(seen.delivered, Names{"a@10"});
  EXPECT_EQ(writes.size(), 0u);
}

TEST_F(OwnWritesTest, NothingGrowsWithoutBound) {
  // A few versions per object.
  for (int v = 1; v <= 10; ++v) write(writes, "a", std::to_string(v));
  seen.event(writes, secret("a", "1"));
  seen.event(writes, secret("a", "10"));
  EXPECT_EQ(seen.delivered, Names{"a@1"});
  EXPECT_EQ(seen.skipped, Names{"a@10"});
  // A few held events per write: past them the oldest goes on at once.
  writes.sending(target("b"));
  for (int v = 1; v <= 20; ++v) seen.event(writes, secret("b", std::to_string(v)));
  EXPECT_EQ(seen.delivered.size(), 1u + 12u);
  writes.answered(target("b"), nullptr);
  EXPECT_EQ(seen.delivered.size(), 1u + 20u);
  // Many objects written and echoed leave nothing behind.
  for (int i = 0; i < 1000; ++i) {
    const auto name = "c" + std::to_string(i);
    writes.sending(target(name));
    seen.event(writes, secret(name, "5"));
    answer(writes, name, "5");
  }
  EXPECT_EQ(seen.skipped.size(), 1u + 1000u);
  EXPECT_EQ(writes.size(), 0u);
}

TEST_F(OwnWritesTest, UntrackedTypesAndIncompleteObjectsAreIgnored) {
  Json config_map = secret("a", "10");
  config_map["kind"] = "ConfigMap";
  const kube::WriteTarget config_map_target{"v1", "ConfigMap", "ns", "a"};
  writes.sending(config_map_target);
  writes.answered(config_map_target, &config_map);
  // A create that leaves the name to the server cannot be told from others in flight.
  writes.sending(target(""));
  writes.answered(target(""), nullptr);
  EXPECT_EQ(writes.size(), 0u);
  seen.event(writes, config_map);
  seen.event(writes, secret("b", ""));
  EXPECT_EQ(seen.delivered, (Names{"a@10", "b@"}));
  bool delivered = false;
  writes.on_event(
      Json("not an object"), [] {}, [&delivered] { delivered = true; });
  EXPECT_TRUE(delivered);
}

TEST_F(OwnWritesTest, ForgetDropsTheObjectsRecordsAndDeliversItsHeldEvents) {
  write(writes, "a", "10");
  write(writes, "b", "10");
  writes.forget(secret("a", "99"));
  EXPECT_EQ(writes.size(), 1u);
  seen.event(writes, secret("a", "10"));
  seen.event(writes, secret("b", "10"));
  EXPECT_EQ(seen.delivered, Names{"a@10"});
  EXPECT_EQ(seen.skipped, Names{"b@10"});
  writes.sending(target("c"));
  seen.event(writes, secret("c", "3"));
  writes.forget(secret("c", "3"));
  EXPECT_EQ(seen.delivered, (Names{"a@10", "c@3"}));
  writes.answered(target("c"), nullptr);
  EXPECT_EQ(writes.size(), 0u);
}

TEST_F(OwnWritesTest, DecisionsAreMadeWithoutItsLockHeld) {
  std::vector<std::size_t> sizes;
  writes.sending(target("a"));
  writes.on_event(
      secret("a", "10"), [&] { sizes.push_back(writes.size()); },
      [&] { sizes.push_back(writes.size()); });
  answer(writes, "a", "10");
  writes.on_event(
      secret("a", "11"), [] {}, [&] { sizes.push_back(writes.size()); });
  EXPECT_EQ(sizes, (std::vector<std::size_t>{0, 0}));
}

}  // namespace
}  // namespace secprov::runtime
