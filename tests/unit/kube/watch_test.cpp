#include "kube/watch.h"

#include <gtest/gtest.h>

#include "fake_transport.h"
#include "kube/errors.h"

namespace secprov::kube {
namespace {

using testing::FakeLineStream;
using testing::StreamScript;

std::string event(const std::string& type, const std::string& rv) {
  return R"({"type":")" + type +
         R"(","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","resourceVersion":")" +
         rv + R"("}}})";
}

TEST(ParseWatchLine, AllEventTypes) {
  const std::pair<std::string, WatchEventType> cases[] = {
      {"ADDED", WatchEventType::Added},
      {"MODIFIED", WatchEventType::Modified},
      {"DELETED", WatchEventType::Deleted},
      {"BOOKMARK", WatchEventType::Bookmark},
  };
  for (const auto& [name, type] : cases) {
    const WatchEvent parsed = parse_watch_line(event(name, "42"));
    EXPECT_EQ(parsed.type, type) << name;
    EXPECT_EQ(parsed.resource_version(), "42");
    EXPECT_EQ(parsed.object["metadata"]["name"], "a");
  }
}

TEST(ParseWatchLine, TheObjectComesWithoutItsFieldSets) {
  const WatchEvent parsed = parse_watch_line(
      R"({"type":"ADDED","object":{"kind":"Secret","metadata":{"name":"a","managedFields":[
         {"manager":"secprov","operation":"Apply","fieldsV1":{"f:data":{"f:tls.key":{}}}}]}}})");
  const auto& entry = parsed.object.at("metadata").at("managedFields").at(0);
  EXPECT_EQ(entry, nlohmann::json::parse(R"({"manager":"secprov","operation":"Apply"})"));
}

TEST(ParseWatchLine, ResourceVersionMissing) {
  const WatchEvent parsed = parse_watch_line(R"({"type":"ADDED","object":{"kind":"X"}})");
  EXPECT_EQ(parsed.resource_version(), "");
}

ApiError error_of(const std::string& line) {
  try {
    (void)parse_watch_line(line);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "no ApiError for " << line;
  return ApiError(ErrorKind::Decode, 0, "none");
}

TEST(ParseWatchLine, ErrorGoneMeansRelist) {
  const ApiError e = error_of(
      R"json({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure",
         "message":"too old resource version: 5 (90)","reason":"Expired","code":410}})json");
  EXPECT_EQ(e.kind(), ErrorKind::Gone);
  EXPECT_TRUE(is_gone(e));
  EXPECT_EQ(e.http_status(), 410);
  EXPECT_EQ(e.message(), "too old resource version: 5 (90)");
}

TEST(ParseWatchLine, OtherErrorsMapLikeResponses) {
  EXPECT_EQ(
      error_of(R"({"type":"ERROR","object":{"kind":"Status","reason":"Forbidden","code":403}})")
          .kind(),
      ErrorKind::Forbidden);
  EXPECT_EQ(
      error_of(R"({"type":"ERROR","object":{"kind":"Status","reason":"InternalError","code":500}})")
          .kind(),
      ErrorKind::ServerError);
  // No code: the reason decides.
  EXPECT_EQ(error_of(R"({"type":"ERROR","object":{"kind":"Status","reason":"Expired"}})").kind(),
            ErrorKind::Gone);
}

TEST(ParseWatchLine, GarbageIsDecodeError) {
  const std::string bad[] = {
      "not json",
      R"({"type":"ADDED","object":{"metadata":{"name":"a")",  // truncated
      R"(["ADDED"])",
      R"({"object":{}})",
      R"({"type":"ADDED"})",
      R"({"type":"RENAMED","object":{}})",
      R"({"type":"ADDED","object":"string"})",
      R"({"type":"ERROR","object":"string"})",
  };
  for (const auto& line : bad) EXPECT_EQ(error_of(line).kind(), ErrorKind::Decode) << line;
}

TEST(ParseWatchLine, DecodeErrorsDoNotQuoteTheLine) {
  const ApiError e = error_of(R"({"type":"ADDED","object":{"data":{"tls.key":"c2VjcmV0)");
  EXPECT_EQ(std::string(e.what()).find("c2VjcmV0"), std::string::npos);
}

TEST(WatchStream, SkipsEmptyLinesAndEndsWithNullopt) {
  WatchStream stream(std::make_unique<FakeLineStream>(
      StreamScript{200, {}, {"", event("ADDED", "1"), "", "\r", event("BOOKMARK", "2")}}));
  auto first = stream.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->type, WatchEventType::Added);
  auto second = stream.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->type, WatchEventType::Bookmark);
  EXPECT_EQ(second->resource_version(), "2");
  EXPECT_FALSE(stream.next());
}

TEST(WatchStream, CancelEndsTheStream) {
  WatchStream stream(std::make_unique<FakeLineStream>(
      StreamScript{200, {}, {event("ADDED", "1"), event("ADDED", "2")}}));
  ASSERT_TRUE(stream.next());
  stream.cancel();
  EXPECT_FALSE(stream.next());
}

TEST(WatchStream, ErrorEventThrows) {
  WatchStream stream(std::make_unique<FakeLineStream>(StreamScript{
      200, {}, {R"({"type":"ERROR","object":{"kind":"Status","reason":"Expired","code":410}})"}}));
  try {
    (void)stream.next();
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Gone);
  }
}

}  // namespace
}  // namespace secprov::kube
