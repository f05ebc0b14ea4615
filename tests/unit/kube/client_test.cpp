#include "kube/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "fake_transport.h"

namespace secprov::kube {
namespace {

using namespace std::chrono_literals;
using testing::FakeServer;
using testing::FakeTransport;
using testing::StreamScript;

// Hands out "t1", "t2", ... so tests see the token is fetched per request.
class CountingToken final : public TokenSource {
 public:
  std::string token() override { return "t" + std::to_string(++calls_); }

 private:
  std::atomic<int> calls_{0};
};

class ClientTest : public ::testing::Test {
 protected:
  Client make_client(std::shared_ptr<TokenSource> token = static_token("tok"),
                     ClientOptions options = {}) {
    ClusterConfig config;
    config.server = "https://127.0.0.1:6443";
    config.token = std::move(token);
    return Client(std::move(config), std::move(options), std::make_unique<FakeTransport>(server));
  }

  std::shared_ptr<FakeServer> server = std::make_shared<FakeServer>();
};

const std::string kConfigMap =
    R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"ops","resourceVersion":"7"}})";

TEST_F(ClientTest, GetSendsHeadersAndParsesTheObject) {
  Client client = make_client();
  server->respond(200, kConfigMap);
  const Json object = client.get(resources::config_maps(), "ops", "a");
  EXPECT_EQ(object["metadata"]["resourceVersion"], "7");

  const HttpRequest request = server->request(0);
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.target, "/api/v1/namespaces/ops/configmaps/a");
  EXPECT_EQ(request.headers.at("accept"), "application/json");
  EXPECT_EQ(request.headers.at("user-agent"), "secprov-operator");
  EXPECT_EQ(request.headers.at("authorization"), "Bearer tok");
  EXPECT_EQ(request.headers.count("content-type"), 0U);
  EXPECT_TRUE(request.body.empty());
  EXPECT_EQ(request.timeout, 30s);
  EXPECT_EQ(client.requests_sent(), 1U);
}

TEST_F(ClientTest, NoAuthorizationWithoutTokenAndSubresourcePath) {
  Client client = make_client(nullptr);
  server->respond(200, kConfigMap);
  (void)client.get(resources::security_profiles(), "5gc", "amf", "status");
  const HttpRequest request = server->request(0);
  EXPECT_EQ(request.target, "/apis/secprov.io/v1alpha1/namespaces/5gc/securityprofiles/amf/status");
  EXPECT_EQ(request.headers.count("authorization"), 0U);
}

TEST_F(ClientTest, TokenIsReadForEveryRequest) {
  Client client = make_client(std::make_shared<CountingToken>());
  server->respond(200, kConfigMap);
  server->respond(200, kConfigMap);
  (void)client.get(resources::config_maps(), "ops", "a");
  (void)client.get(resources::config_maps(), "ops", "a");
  EXPECT_EQ(server->request(0).headers.at("authorization"), "Bearer t1");
  EXPECT_EQ(server->request(1).headers.at("authorization"), "Bearer t2");
}

TEST_F(ClientTest, ListQueryIsUrlEncoded) {
  Client client = make_client();
  server->respond(200, R"({"kind":"SecretList","metadata":{"resourceVersion":"100"},"items":[]})");
  ListOptions options;
  options.label_selector = "app.kubernetes.io/managed-by=secprov,tier!=db";
  options.field_selector = "metadata.name=a b";
  options.limit = 50;
  options.resource_version = "0";
  const ObjectList list = client.list_page(resources::secrets(), "ops", options);
  EXPECT_TRUE(list.items.empty());
  EXPECT_EQ(list.resource_version, "100");
  EXPECT_EQ(server->request(0).target,
            "/api/v1/namespaces/ops/secrets"
            "?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dsecprov%2Ctier%21%3Ddb"
            "&fieldSelector=metadata.name%3Da%20b&limit=50&resourceVersion=0");
}

TEST_F(ClientTest, ListOneReadsAnObjectByAListOfItsName) {
  Client client = make_client();
  server->respond(200,
                  R"({"metadata":{"resourceVersion":"7"},"items":[{"metadata":{"name":"a"}}]})");
  server->respond(200, R"({"metadata":{"resourceVersion":"7"},"items":[]})");
  const auto found = client.list_one(resources::config_maps(), "ops", "a");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ((*found)["metadata"]["name"], "a");
  EXPECT_EQ((*found)["kind"], "ConfigMap");
  EXPECT_EQ(client.list_one(resources::config_maps(), "ops", "b"), std::nullopt);
  ASSERT_EQ(server->request_count(), 2U);
  EXPECT_EQ(server->request(0).target,
            "/api/v1/namespaces/ops/configmaps?fieldSelector=metadata.name%3Da");
  EXPECT_EQ(server->request(1).target,
            "/api/v1/namespaces/ops/configmaps?fieldSelector=metadata.name%3Db");
}

TEST_F(ClientTest, ListFollowsContinueTokens) {
  Client client = make_client();
  server->respond(200, R"({"metadata":{"resourceVersion":"100","continue":"tok/1+"},
                          "items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]})");
  server->respond(200,
                  R"({"metadata":{"resourceVersion":"100"},"items":[{"metadata":{"name":"c"}}]})");
  ListOptions options;
  options.limit = 2;
  options.resource_version = "0";
  const ObjectList list = client.list(resources::config_maps(), "", options);

  ASSERT_EQ(list.items.size(), 3U);
  EXPECT_EQ(list.items[2]["metadata"]["name"], "c");
  // List items come without type information; the client fills it in.
  EXPECT_EQ(list.items[0]["kind"], "ConfigMap");
  EXPECT_EQ(list.items[0]["apiVersion"], "v1");
  EXPECT_EQ(list.resource_version, "100");
  EXPECT_TRUE(list.continue_token.empty());

  ASSERT_EQ(server->request_count(), 2U);
  EXPECT_EQ(server->request(0).target, "/api/v1/configmaps?limit=2&resourceVersion=0");
  // The continue token replaces resourceVersion, which the server rejects alongside it.
  EXPECT_EQ(server->request(1).target, "/api/v1/configmaps?limit=2&continue=tok%2F1%2B");
}

TEST_F(ClientTest, ListItemsComeWithoutTheirFieldSets) {
  Client client = make_client();
  server->respond(200, R"({"metadata":{"resourceVersion":"3"},"items":[{"metadata":{"name":"a",
      "managedFields":[{"manager":"m","operation":"Update","fieldsV1":{"f:data":{}}}]}}]})");
  const ObjectList list = client.list(resources::config_maps(), "n");
  ASSERT_EQ(list.items.size(), 1U);
  EXPECT_EQ(list.items[0].at("metadata").at("managedFields"),
            nlohmann::json::parse(R"([{"manager":"m","operation":"Update"}])"));
}

TEST_F(ClientTest, ListPageReturnsTheContinueToken) {
  Client client = make_client();
  server->respond(200, R"({"metadata":{"resourceVersion":"9","continue":"next"},"items":null})");
  ListOptions options;
  options.limit = 1;
  const ObjectList page = client.list_page(resources::pods(), "ops", options);
  EXPECT_EQ(page.continue_token, "next");
  EXPECT_EQ(server->request_count(), 1U);
}

TEST_F(ClientTest, CreatePostsToTheCollectionOfTheObjectsNamespace) {
  Client client = make_client();
  server->respond(201, kConfigMap);
  const Json object = Json::parse(kConfigMap);
  (void)client.create(resources::config_maps(), "", object);
  const HttpRequest request = server->request(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/api/v1/namespaces/ops/configmaps");
  EXPECT_EQ(request.headers.at("content-type"), "application/json");
  EXPECT_EQ(Json::parse(request.body), object);
}

TEST_F(ClientTest, AWriteAskedForItsMetadataParsesNothingElse) {
  // An answer as the API server gives it: managedFields, spec and status beside the identity.
  const std::string answer = R"({"apiVersion":"secprov.io/v1alpha1","kind":"SecurityProfile",
      "metadata":{"name":"amf","namespace":"5gc","uid":"u-1","resourceVersion":"42",
                  "labels":{"app":"amf"},"finalizers":["secprov.io/cleanup"],
                  "managedFields":[{"manager":"secprov","fieldsV1":{"f:status":{}}}],
                  "ownerReferences":[{"uid":"o-1","controller":true}],"generation":3},
      "spec":{"nfType":"AMF","metadata":{"name":"not the object's"}},
      "status":{"conditions":[{"type":"Ready","status":"True"}]}})";
  Client client = make_client();
  for (int i = 0; i < 5; ++i) server->respond(200, answer);
  const Json object = {{"metadata", {{"name", "amf"}, {"namespace", "5gc"}}}};
  const Json identity = {{"apiVersion", "secprov.io/v1alpha1"},
                         {"kind", "SecurityProfile"},
                         {"metadata",
                          {{"name", "amf"},
                           {"namespace", "5gc"},
                           {"uid", "u-1"},
                           {"resourceVersion", "42"},
                           {"labels", {{"app", "amf"}}},
                           {"finalizers", {"secprov.io/cleanup"}},
                           {"ownerReferences", {{{"uid", "o-1"}, {"controller", true}}}},
                           {"generation", 3}}}};

  EXPECT_EQ(client.create(resources::security_profiles(), "5gc", object, Answer::Metadata),
            identity);
  EXPECT_EQ(client.merge_patch(resources::security_profiles(), "5gc", "amf", object, "",
                               Answer::Metadata),
            identity);
  EXPECT_EQ(
      client.apply(resources::security_profiles(), "5gc", object,
                   ApplyOptions{.field_manager = "secprov", .answer = Answer::Metadata}, "status"),
      identity);
  EXPECT_EQ(client.update(resources::security_profiles(), "5gc", object, "status",
                          UpdateOptions{.field_manager = "secprov", .answer = Answer::Metadata}),
            identity);
  // By default the whole object.
  EXPECT_EQ(client.create(resources::security_profiles(), "5gc", object), Json::parse(answer));

  server->respond(200, R"({"metadata":{"name":"amf"},"spec":{"unclosed":[)");
  try {
    (void)client.create(resources::security_profiles(), "5gc", object, Answer::Metadata);
    FAIL() << "a truncated answer must not parse";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Decode);
  }
}

TEST_F(ClientTest, UpdatePutsToTheObjectOrItsStatus) {
  Client client = make_client();
  server->respond(200, kConfigMap);
  server->respond(200, kConfigMap);
  const Json object = Json::parse(kConfigMap);
  (void)client.update(resources::config_maps(), "ops", object);
  (void)client.update(resources::config_maps(), "ops", object, "status");
  EXPECT_EQ(server->request(0).method, "PUT");
  EXPECT_EQ(server->request(0).target, "/api/v1/namespaces/ops/configmaps/a");
  EXPECT_EQ(server->request(1).target, "/api/v1/namespaces/ops/configmaps/a/status");
  // A field manager names who wrote in managedFields (operation Update).
  server->respond(200, kConfigMap);
  (void)client.update(resources::config_maps(), "ops", object, "status",
                      UpdateOptions{.field_manager = "secprov"});
  EXPECT_EQ(server->request(2).method, "PUT");
  EXPECT_EQ(server->request(2).target,
            "/api/v1/namespaces/ops/configmaps/a/status?fieldManager=secprov");
  EXPECT_EQ(server->request(2).headers.at("content-type"), "application/json");
  EXPECT_THROW((void)client.update(resources::config_maps(), "ops", Json::object()),
               std::invalid_argument);
}

TEST_F(ClientTest, UpdateConflictIsTyped) {
  Client client = make_client();
  server->respond(409, R"({"kind":"Status","reason":"Conflict","code":409,
                          "message":"the object has been modified"})");
  try {
    (void)client.update(resources::config_maps(), "ops", Json::parse(kConfigMap));
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_TRUE(is_conflict(e));
  }
}

TEST_F(ClientTest, MergePatchContentType) {
  Client client = make_client();
  server->respond(200, kConfigMap);
  (void)client.merge_patch(resources::config_maps(), "ops", "a", Json{{"data", {{"k", "v"}}}});
  const HttpRequest request = server->request(0);
  EXPECT_EQ(request.method, "PATCH");
  EXPECT_EQ(request.target, "/api/v1/namespaces/ops/configmaps/a");
  EXPECT_EQ(request.headers.at("content-type"), "application/merge-patch+json");
  EXPECT_EQ(request.body, R"({"data":{"k":"v"}})");
}

TEST_F(ClientTest, ApplyUsesFieldManagerAndForcesOnlyWhenAsked) {
  Client client = make_client();
  server->respond(200, kConfigMap);
  server->respond(200, kConfigMap);
  const Json object = {{"metadata", {{"name", "a"}}}, {"data", {{"k", "v"}}}};

  (void)client.apply(resources::config_maps(), "ops", object, ApplyOptions{"secprov", false});
  const HttpRequest first = server->request(0);
  EXPECT_EQ(first.method, "PATCH");
  EXPECT_EQ(first.target, "/api/v1/namespaces/ops/configmaps/a?fieldManager=secprov");
  EXPECT_EQ(first.headers.at("content-type"), "application/apply-patch+yaml");
  const Json body = Json::parse(first.body);
  EXPECT_EQ(body["apiVersion"], "v1");  // filled in: apply needs them
  EXPECT_EQ(body["kind"], "ConfigMap");
  EXPECT_EQ(body["data"]["k"], "v");

  (void)client.apply(resources::security_profiles(), "5gc", object, ApplyOptions{"secprov", true},
                     "status");
  EXPECT_EQ(server->request(1).target,
            "/apis/secprov.io/v1alpha1/namespaces/5gc/securityprofiles/a/status"
            "?fieldManager=secprov&force=true");
}

TEST_F(ClientTest, ApplyWithoutFieldManagerIsRejectedBeforeSending) {
  Client client = make_client();
  EXPECT_THROW((void)client.apply(resources::config_maps(), "ops", Json::parse(kConfigMap), {}),
               std::invalid_argument);
  EXPECT_EQ(server->request_count(), 0U);
  EXPECT_EQ(client.requests_sent(), 0U);
}

TEST_F(ClientTest, RemoveSendsDeleteOptions) {
  Client client = make_client();
  server->respond(200, R"({"kind":"Status","status":"Success"})");
  DeleteOptions options;
  options.propagation = Propagation::Foreground;
  options.precondition_uid = "uid-1";
  options.precondition_resource_version = "7";
  const Json answer = client.remove(resources::trust_domains(), "", "core", options);
  EXPECT_EQ(answer["status"], "Success");

  const HttpRequest request = server->request(0);
  EXPECT_EQ(request.method, "DELETE");
  EXPECT_EQ(request.target,
            "/apis/secprov.io/v1alpha1/trustdomains/core?propagationPolicy=Foreground");
  EXPECT_EQ(request.headers.at("content-type"), "application/json");
  const Json body = Json::parse(request.body);
  EXPECT_EQ(body["kind"], "DeleteOptions");
  EXPECT_EQ(body["propagationPolicy"], "Foreground");
  EXPECT_EQ(body["preconditions"]["uid"], "uid-1");
  EXPECT_EQ(body["preconditions"]["resourceVersion"], "7");
}

TEST_F(ClientTest, RemoveWithDefaultsSendsNoPolicy) {
  Client client = make_client();
  server->respond(200, kConfigMap);
  (void)client.remove(resources::config_maps(), "ops", "a");
  const HttpRequest request = server->request(0);
  EXPECT_EQ(request.target, "/api/v1/namespaces/ops/configmaps/a");
  const Json body = Json::parse(request.body);
  EXPECT_FALSE(body.contains("propagationPolicy"));
  EXPECT_FALSE(body.contains("preconditions"));
}

TEST_F(ClientTest, ThrottledRequestIsRetriedAfterRetryAfter) {
  Client client = make_client();
  server->respond(429, R"({"kind":"Status","reason":"TooManyRequests","code":429})",
                  {{"retry-after", "0"}});
  server->respond(200, kConfigMap);
  const Json object = client.get(resources::config_maps(), "ops", "a");
  EXPECT_EQ(object["metadata"]["name"], "a");
  EXPECT_EQ(server->request_count(), 2U);
  EXPECT_EQ(client.requests_sent(), 2U);
}

TEST_F(ClientTest, ThrottlingGivesUpAfterMaxRetries) {
  ClientOptions options;
  options.max_throttle_retries = 1;
  Client client = make_client(static_token("tok"), options);
  server->respond(429, "", {{"retry-after", "0"}});
  server->respond(429, "", {{"retry-after", "0"}});
  server->respond(200, kConfigMap);
  try {
    (void)client.get(resources::config_maps(), "ops", "a");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::TooManyRequests);
    EXPECT_EQ(e.retry_after(), 0s);
    EXPECT_TRUE(e.retryable());
  }
  EXPECT_EQ(server->request_count(), 2U);
}

TEST_F(ClientTest, ThrottlingWithoutRetryAfterWaitsOneSecond) {
  Client client = make_client();
  server->respond(429, "");
  server->respond(200, kConfigMap);
  const auto start = std::chrono::steady_clock::now();
  (void)client.get(resources::config_maps(), "ops", "a");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
}

TEST_F(ClientTest, ErrorsAreTypedAndBodiesMustBeJson) {
  Client client = make_client();
  server->respond(404, R"({"kind":"Status","reason":"NotFound","code":404})");
  server->respond(200, "<html>");
  try {
    (void)client.get(resources::config_maps(), "ops", "a");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_TRUE(is_not_found(e));
  }
  try {
    (void)client.get(resources::config_maps(), "ops", "a");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Decode);
  }
}

TEST_F(ClientTest, TransportErrorsPropagate) {
  Client client = make_client();  // no scripted answer: the fake throws Transport
  try {
    (void)client.get(resources::config_maps(), "ops", "a");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Transport);
  }
}

TEST_F(ClientTest, WatchQueryAndEvents) {
  Client client = make_client();
  server->stream(
      StreamScript{200,
                   {},
                   {R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"11"}}})",
                    "", R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"12"}}})"}});
  WatchOptions options;
  options.resource_version = "10";
  options.label_selector = "a=b";
  options.timeout = 60s;
  auto watch = client.watch(resources::config_maps(), "ops", options);

  const HttpRequest request = server->request(0);
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.target,
            "/api/v1/namespaces/ops/configmaps?watch=1&resourceVersion=10&labelSelector=a%3Db"
            "&allowWatchBookmarks=true&timeoutSeconds=60");
  EXPECT_EQ(request.headers.at("authorization"), "Bearer tok");

  auto first = watch->next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->type, WatchEventType::Added);
  auto second = watch->next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->resource_version(), "12");
  EXPECT_FALSE(watch->next());
  EXPECT_EQ(client.requests_sent(), 1U);
}

TEST_F(ClientTest, WatchTimeoutIsCappedByClientOptions) {
  ClientOptions client_options;
  client_options.watch_timeout = 100s;
  Client client = make_client(nullptr, client_options);
  server->stream(StreamScript{});
  WatchOptions options;
  options.allow_bookmarks = false;
  options.timeout = 1000s;
  (void)client.watch(resources::trust_domains(), "", options);
  EXPECT_EQ(server->request(0).target,
            "/apis/secprov.io/v1alpha1/trustdomains?watch=1&timeoutSeconds=100");
}

TEST_F(ClientTest, WatchRejectedWithStatusThrows) {
  Client client = make_client();
  server->stream(StreamScript{
      410, {}, {R"({"kind":"Status","reason":"Expired","code":410,)", R"("message":"too old"})"}});
  try {
    (void)client.watch(resources::config_maps(), "ops", WatchOptions{});
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_TRUE(is_gone(e));
    EXPECT_EQ(e.message(), "too old");
  }
}

TEST_F(ClientTest, RateLimiterSpacesRequests) {
  ClientOptions options;
  options.qps = 20;  // 50 ms per request after the burst
  options.burst = 1;
  Client client = make_client(nullptr, options);
  for (int i = 0; i < 3; ++i) server->respond(200, kConfigMap);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) (void)client.get(resources::config_maps(), "ops", "a");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 90ms);
}

TEST_F(ClientTest, WriteObserversSeeEveryWriteBeforeItIsSentAndThenItsAnswer) {
  Client client = make_client();
  // One line a call: "<sending|answered> <namespace>/<name> <requests the server had> <version>".
  std::vector<std::string> first;
  std::vector<std::string> second;
  const auto observer = [&](std::vector<std::string>& seen) {
    const auto line = [&seen, this](const char* what, const WriteTarget& target,
                                    const std::string& version) {
      EXPECT_EQ(target.api_version + "/" + target.kind, "v1/ConfigMap");
      seen.push_back(std::string(what) + " " + target.ns + "/" + target.name + " " +
                     std::to_string(server->request_count()) + " " + version);
    };
    return Client::WriteObserver{
        .sending = [line](const WriteTarget& target) { line("sending", target, "-"); },
        .answered =
            [line](const WriteTarget& target, const Json* written) {
              line("answered", target,
                   written ? (*written)["metadata"].value("resourceVersion", "") : "failed");
            },
    };
  };
  client.add_write_observer(observer(first));
  client.add_write_observer(observer(second));
  const auto answer = [&](int status, const std::string& version) {
    auto object = Json::parse(kConfigMap);
    object["metadata"]["resourceVersion"] = version;
    server->respond(status, object.dump());
  };
  const Json object = Json::parse(kConfigMap);
  answer(201, "1");
  (void)client.create(resources::config_maps(), "ops", object);
  answer(200, "2");
  (void)client.update(resources::config_maps(), "", object);
  answer(200, "3");
  (void)client.merge_patch(resources::config_maps(), "ops", "b", Json{{"data", {{"k", "v"}}}});
  answer(200, "4");
  (void)client.apply(resources::config_maps(), "ops", object, ApplyOptions{"secprov", true});
  // Reads and deletes are not writes that return the object.
  answer(200, "5");
  (void)client.get(resources::config_maps(), "ops", "a");
  answer(200, "6");
  (void)client.remove(resources::config_maps(), "ops", "a");
  // A failed write is answered with nothing: refused, or no answer at all.
  server->respond(409, R"({"kind":"Status","reason":"Conflict","code":409})");
  EXPECT_THROW((void)client.update(resources::config_maps(), "ops", object), ApiError);
  EXPECT_THROW((void)client.apply(resources::config_maps(), "ops", object, ApplyOptions{"secprov"}),
               ApiError);
  // A create that leaves the name to the server has none yet.
  answer(201, "9");
  (void)client.create(resources::config_maps(), "ops",
                      Json{{"metadata", {{"generateName", "x-"}}}});
  const std::vector<std::string> expected{
      "sending ops/a 0 -",       "answered ops/a 1 1", "sending ops/a 1 -",
      "answered ops/a 2 2",      "sending ops/b 2 -",  "answered ops/b 3 3",
      "sending ops/a 3 -",       "answered ops/a 4 4", "sending ops/a 6 -",
      "answered ops/a 7 failed", "sending ops/a 7 -",  "answered ops/a 8 failed",
      "sending ops/ 8 -",        "answered ops/ 9 9"};
  EXPECT_EQ(first, expected);
  EXPECT_EQ(second, expected);
}

}  // namespace
}  // namespace secprov::kube
