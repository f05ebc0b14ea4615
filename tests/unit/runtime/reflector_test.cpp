#include "runtime/reflector.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <variant>

#include "kube/errors.h"
#include "test_util.h"

namespace secprov::runtime {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::ManualClock;

Json cm(const std::string& name, const std::string& rv, Json data = Json::object()) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"namespace", "ns"}, {"name", name}, {"resourceVersion", rv}}},
          {"data", std::move(data)}};
}

std::string line(const std::string& type, const Json& object) {
  return Json{{"type", type}, {"object", object}}.dump();
}

std::string bookmark(const std::string& rv) {
  return line("BOOKMARK", {{"kind", "ConfigMap"}, {"metadata", {{"resourceVersion", rv}}}});
}

std::string gone_line() {
  return line("ERROR", {{"kind", "Status"},
                        {"apiVersion", "v1"},
                        {"status", "Failure"},
                        {"message", "too old resource version"},
                        {"reason", "Expired"},
                        {"code", 410}});
}

enum class StreamEnd { Close, Block, Break };

// Lines, then: end normally, block until cancelled, or break (Transport error).
class FakeLineStream final : public kube::HttpLineStream {
 public:
  FakeLineStream(std::deque<std::string> lines, StreamEnd end,
                 std::shared_ptr<std::atomic<bool>> cancelled)
      : lines_(std::move(lines)), end_(end), cancelled_(std::move(cancelled)) {}
  int status() const override { return 200; }
  const kube::HttpHeaders& headers() const override { return headers_; }
  std::optional<std::string> read_line() override {
    std::unique_lock lock(mutex_);
    if (*cancelled_) return std::nullopt;
    if (!lines_.empty()) {
      std::string next = std::move(lines_.front());
      lines_.pop_front();
      return next;
    }
    switch (end_) {
      case StreamEnd::Close:
        return std::nullopt;
      case StreamEnd::Break:
        throw kube::ApiError(kube::ErrorKind::Transport, 0, "connection reset");
      case StreamEnd::Block:
        cv_.wait(lock, [&] { return cancelled_->load(); });
        return std::nullopt;
    }
    return std::nullopt;
  }
  void cancel() override {
    {
      const std::lock_guard lock(mutex_);
      *cancelled_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  kube::HttpHeaders headers_;
  std::deque<std::string> lines_;
  StreamEnd end_;
  std::shared_ptr<std::atomic<bool>> cancelled_;
};

struct WatchScript {
  std::deque<std::string> lines{};
  StreamEnd end = StreamEnd::Close;
  std::optional<kube::ApiError> open_error{};
};

// Scripted list and watch answers; records what the reflector asked for. When the watch
// script runs out, watches block until cancelled (a quiet, healthy stream).
class FakeListerWatcher final : public ListerWatcher {
 public:
  void script_list(std::variant<kube::ObjectList, kube::ApiError> answer) {
    const std::lock_guard lock(mutex_);
    lists_.push_back(std::move(answer));
  }
  void script_watch(WatchScript script) {
    const std::lock_guard lock(mutex_);
    watches_.push_back(std::move(script));
  }

  kube::ObjectList list(const kube::ListOptions& options) override {
    const std::lock_guard lock(mutex_);
    list_calls_.push_back(options);
    if (lists_.empty()) throw kube::ApiError(kube::ErrorKind::ServerError, 500, "no list scripted");
    auto answer = std::move(lists_.front());
    lists_.pop_front();
    if (auto* error = std::get_if<kube::ApiError>(&answer)) throw *error;
    return std::get<kube::ObjectList>(std::move(answer));
  }

  std::unique_ptr<kube::WatchStream> watch(const kube::WatchOptions& options) override {
    const std::lock_guard lock(mutex_);
    watch_calls_.push_back(options);
    WatchScript script;
    script.end = StreamEnd::Block;
    if (!watches_.empty()) {
      script = std::move(watches_.front());
      watches_.pop_front();
    }
    if (script.open_error) throw *script.open_error;
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    cancelled_.push_back(cancelled);
    return std::make_unique<kube::WatchStream>(
        std::make_unique<FakeLineStream>(std::move(script.lines), script.end, cancelled));
  }

  std::vector<kube::ListOptions> list_calls() const {
    const std::lock_guard lock(mutex_);
    return list_calls_;
  }
  std::vector<kube::WatchOptions> watch_calls() const {
    const std::lock_guard lock(mutex_);
    return watch_calls_;
  }
  std::vector<std::string> watch_versions() const {
    std::vector<std::string> out;
    for (const auto& w : watch_calls()) out.push_back(w.resource_version);
    return out;
  }
  bool stream_cancelled(std::size_t i) const {
    const std::lock_guard lock(mutex_);
    return i < cancelled_.size() && cancelled_[i]->load();
  }

 private:
  mutable std::mutex mutex_;
  std::deque<std::variant<kube::ObjectList, kube::ApiError>> lists_;
  std::deque<WatchScript> watches_;
  std::vector<kube::ListOptions> list_calls_;
  std::vector<kube::WatchOptions> watch_calls_;
  std::vector<std::shared_ptr<std::atomic<bool>>> cancelled_;
};

// Records handler calls as "add ns/a@rv" etc.
class Recorder {
 public:
  EventHandlers handlers() {
    return EventHandlers{
        .on_add = [this](const ObjectPtr& o) { push("add", *o); },
        .on_update = [this](const ObjectPtr&, const ObjectPtr& o) { push("update", *o); },
        .on_delete = [this](const ObjectPtr& o) { push("delete", *o); },
    };
  }
  std::vector<std::string> calls() const {
    const std::lock_guard lock(mutex_);
    return calls_;
  }
  std::size_t size() const { return calls().size(); }

 private:
  void push(const char* what, const Json& o) {
    const std::lock_guard lock(mutex_);
    calls_.push_back(std::string(what) + " " + key_of(o).to_string() + "@" +
                     resource_version_of(o));
  }
  mutable std::mutex mutex_;
  std::vector<std::string> calls_;
};

ReflectorOptions fast_options() {
  ReflectorOptions options;
  options.name = "configmaps";
  options.backoff_initial = 1ms;
  options.backoff_max = 20ms;
  options.min_watch_duration = 0ms;
  return options;
}

// A reflector on a manual clock: its backoff and resync waits pass only when the test
// advances the clock (run_until does so for every wait it finds).
struct Harness {
  std::shared_ptr<FakeListerWatcher> lw = std::make_shared<FakeListerWatcher>();
  std::shared_ptr<Store> store = std::make_shared<Store>();
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  Recorder recorder;
  std::unique_ptr<Reflector> reflector;
  std::jthread thread;

  void start(ReflectorOptions options = fast_options(), Transform transform = {}) {
    options.clock = clock;
    reflector = std::make_unique<Reflector>(lw, store, std::move(options), std::move(transform));
    reflector->add_handlers(recorder.handlers());
    thread = std::jthread([this](std::stop_token stop) { reflector->run(stop); });
  }
  ~Harness() {
    thread.request_stop();
    if (thread.joinable()) thread.join();
  }
  // Lets every backoff the reflector waits in pass, until `done` holds.
  bool run_until(const std::function<bool()>& done) {
    return eventually([&] {
      if (done()) return true;
      if (const auto deadline = clock->next_deadline()) clock->advance(*deadline - clock->now());
      return done();
    });
  }
  // The one timed wait in progress, as a duration from now (nullopt: none yet).
  std::optional<std::chrono::nanoseconds> waiting_for() const {
    const auto deadline = clock->next_deadline();
    if (!deadline) return std::nullopt;
    return *deadline - clock->now();
  }
};

TEST(Reflector, ListWatchAndResumeFromLastResourceVersion) {
  Harness h;
  h.lw->script_list(kube::ObjectList{{cm("a", "5"), cm("b", "6")}, "10", ""});
  h.lw->script_watch({{line("ADDED", cm("c", "11")), "", line("MODIFIED", cm("a", "12")),
                       line("DELETED", cm("b", "13")), bookmark("15")},
                      StreamEnd::Close});
  h.start();

  ASSERT_TRUE(eventually([&] { return h.lw->watch_calls().size() >= 2; }));
  EXPECT_TRUE(h.reflector->has_synced());
  EXPECT_EQ(h.lw->watch_versions(), (std::vector<std::string>{"10", "15"}));
  const auto first_watch = h.lw->watch_calls().front();
  EXPECT_TRUE(first_watch.allow_bookmarks);
  EXPECT_EQ(h.lw->list_calls().size(), 1u);
  EXPECT_EQ(h.lw->list_calls().front().limit, 500);

  EXPECT_EQ(h.recorder.calls(), (std::vector<std::string>{"add ns/a@5", "add ns/b@6", "add ns/c@11",
                                                          "update ns/a@12", "delete ns/b@13"}));
  EXPECT_EQ(h.store->keys(), (std::vector<ObjectKey>{{"ns", "a"}, {"ns", "c"}}));
  EXPECT_EQ(resource_version_of(*h.store->get({"ns", "a"})), "12");
  EXPECT_EQ(h.store->resource_version(), "15");
  EXPECT_EQ(h.reflector->watch_restarts(), 1u);
}

TEST(Reflector, ListsAllPages) {
  Harness h;
  h.lw->script_list(kube::ObjectList{{cm("a", "1")}, "10", "token-1"});
  h.lw->script_list(kube::ObjectList{{cm("b", "2")}, "10", ""});
  h.start();
  ASSERT_TRUE(eventually([&] { return h.reflector->has_synced(); }));
  const auto calls = h.lw->list_calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].continue_token, "");
  EXPECT_EQ(calls[1].continue_token, "token-1");
  EXPECT_EQ(h.store->size(), 2u);
  ASSERT_TRUE(eventually([&] { return !h.lw->watch_calls().empty(); }));
  EXPECT_EQ(h.lw->watch_versions().front(), "10");
}

TEST(Reflector, ExpiredContinueTokenFallsBackToUnpagedList) {
  Harness h;
  h.lw->script_list(kube::ObjectList{{cm("a", "1")}, "10", "token-1"});
  h.lw->script_list(kube::ApiError(kube::ErrorKind::Gone, 410, "continue expired"));
  h.lw->script_list(kube::ObjectList{{cm("a", "1"), cm("b", "2")}, "11", ""});
  h.start();
  ASSERT_TRUE(eventually([&] { return h.reflector->has_synced(); }));
  const auto calls = h.lw->list_calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_FALSE(calls[2].limit.has_value());
  EXPECT_EQ(calls[2].continue_token, "");
  EXPECT_EQ(h.store->size(), 2u);
  EXPECT_EQ(h.store->resource_version(), "11");
}

TEST(Reflector, GoneRelistsAndConverges) {
  auto registry = std::make_shared<prometheus::Registry>();
  Harness h;
  h.lw->script_list(kube::ObjectList{{cm("a", "5"), cm("b", "6")}, "10", ""});
  h.lw->script_watch({{line("ADDED", cm("c", "11")), gone_line()}, StreamEnd::Close});
  // While we were away: b deleted, a changed, d created.
  h.lw->script_list(kube::ObjectList{{cm("a", "15"), cm("c", "11"), cm("d", "18")}, "20", ""});
  auto options = fast_options();
  options.registry = registry;
  h.start(options);

  ASSERT_TRUE(eventually([&] { return h.lw->watch_calls().size() >= 2; }));
  EXPECT_EQ(h.lw->watch_versions(), (std::vector<std::string>{"10", "20"}));
  EXPECT_EQ(h.reflector->lists(), 2u);
  EXPECT_EQ(h.store->keys(), (std::vector<ObjectKey>{{"ns", "a"}, {"ns", "c"}, {"ns", "d"}}));
  EXPECT_EQ(h.recorder.calls(),
            (std::vector<std::string>{"add ns/a@5", "add ns/b@6", "add ns/c@11", "add ns/d@18",
                                      "update ns/a@15", "delete ns/b@6"}));
  EXPECT_EQ(
      testing::metric_value(*registry, "reflector_relists_total", {{"resource", "configmaps"}}), 1);
}

TEST(Reflector, GoneWhenOpeningWatchRelists) {
  Harness h;
  h.lw->script_list(kube::ObjectList{{cm("a", "5")}, "10", ""});
  WatchScript gone;
  gone.open_error = kube::ApiError(kube::ErrorKind::Gone, 410, "too old");
  h.lw->script_watch(std::move(gone));
  h.lw->script_list(kube::ObjectList{{}, "30", ""});
  h.start();
  ASSERT_TRUE(h.run_until([&] { return h.lw->watch_calls().size() >= 2; }));
  EXPECT_EQ(h.lw->watch_versions(), (std::vector<std::string>{"10", "30"}));
  EXPECT_EQ(h.store->size(), 0u);
  EXPECT_EQ(h.recorder.calls(), (std::vector<std::string>{"add ns/a@5", "delete ns/a@5"}));
}

TEST(Reflector, GarbageLineReconnectsFromLastVersion) {
  Harness h;
  h.lw->script_list(kube::ObjectList{{}, "10", ""});
  h.lw->script_watch({{line("ADDED", cm("a", "11")), "this is not json {"}, StreamEnd::Close});
  h.lw->script_watch({{line("ADDED", cm("b", "12"))}, StreamEnd::Block});
  h.start();
  ASSERT_TRUE(h.run_until([&] { return h.store->size() == 2; }));
  EXPECT_EQ(h.lw->watch_versions(), (std::vector<std::string>{"10", "11"}));
  EXPECT_EQ(h.lw->list_calls().size(), 1u);  // no relist needed
}

TEST(Reflector, BrokenConnectionAndFailedRequestsAreRetried) {
  Harness h;
  h.lw->script_list(kube::ApiError(kube::ErrorKind::Transport, 0, "connection refused"));
  h.lw->script_list(kube::ObjectList{{}, "10", ""});
  h.lw->script_watch({{line("ADDED", cm("a", "11"))}, StreamEnd::Break});
  WatchScript refused;
  refused.open_error = kube::ApiError(kube::ErrorKind::ServerError, 503, "unavailable");
  h.lw->script_watch(std::move(refused));
  h.lw->script_watch({{line("ADDED", cm("b", "12"))}, StreamEnd::Block});
  h.start();
  ASSERT_TRUE(h.run_until([&] { return h.store->size() == 2; }));
  EXPECT_EQ(h.lw->list_calls().size(), 2u);
  EXPECT_EQ(h.lw->watch_versions(), (std::vector<std::string>{"10", "11", "11"}));
}

TEST(Reflector, StopInterruptsBlockedWatch) {
  Harness h;
  h.lw->script_list(kube::ObjectList{{}, "10", ""});
  h.start();
  ASSERT_TRUE(eventually([&] { return h.lw->watch_calls().size() == 1; }));
  std::this_thread::sleep_for(20ms);  // let it block in read_line
  auto stopped = std::async(std::launch::async, [&] {
    h.thread.request_stop();
    h.thread.join();
  });
  // Without the cancel the watch would block forever: the script never ends it.
  ASSERT_EQ(stopped.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(h.lw->stream_cancelled(0));
  EXPECT_EQ(h.lw->watch_calls().size(), 1u);
}

TEST(Reflector, StopDuringBackoff) {
  Harness h;
  auto options = fast_options();
  options.backoff_initial = 1h;
  options.backoff_max = 1h;
  h.lw->script_list(kube::ApiError(kube::ErrorKind::Forbidden, 403, "denied"));
  h.start(options);
  ASSERT_TRUE(eventually([&] { return h.lw->list_calls().size() == 1 && h.waiting_for(); }));
  auto stopped = std::async(std::launch::async, [&] {
    h.thread.request_stop();
    h.thread.join();
  });
  ASSERT_EQ(stopped.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(h.reflector->has_synced());
}

TEST(Reflector, TransformAppliedBeforeStoringAndHandlers) {
  Harness h;
  h.lw->script_list(kube::ObjectList{{cm("a", "5", {{"key", "plaintext-a"}})}, "10", ""});
  h.lw->script_watch({{line("ADDED", cm("b", "11", {{"key", "plaintext-b"}})),
                       line("ADDED", cm("bad", "12", {{"key", "x"}}))},
                      StreamEnd::Block});
  std::vector<Json> seen;
  std::mutex seen_mutex;
  const Transform digest = [](Json o) {
    if (o["metadata"]["name"] == "bad") throw std::runtime_error("cannot digest");
    for (auto& [k, v] : o["data"].items()) v = "sha256:" + std::to_string(v.dump().size());
    return o;
  };
  h.start(fast_options(), digest);
  ASSERT_TRUE(eventually([&] { return h.store->size() == 2 && h.recorder.size() == 2; }));
  ASSERT_TRUE(eventually([&] { return h.store->resource_version() == "12"; }));
  for (const auto& o : h.store->list()) {
    EXPECT_EQ(o->at("data").at("key").get<std::string>().rfind("sha256:", 0), 0u) << o->dump();
    EXPECT_EQ(o->dump().find("plaintext"), std::string::npos);
  }
  EXPECT_EQ(h.store->get({"ns", "bad"}), nullptr);  // transform failure skips the object
}

TEST(Reflector, DeleteIsAppliedEvenWhenTransformFails) {
  Harness h;
  h.lw->script_list(kube::ObjectList{{cm("a", "5")}, "10", ""});
  h.lw->script_watch({{line("DELETED", cm("a", "11", {{"poison", "1"}}))}, StreamEnd::Block});
  const Transform picky = [](Json o) {
    if (o["data"].contains("poison")) throw std::runtime_error("cannot transform");
    return o;
  };
  h.start(fast_options(), picky);
  ASSERT_TRUE(eventually([&] { return h.store->resource_version() == "11"; }));
  EXPECT_EQ(h.store->size(), 0u);
  // The handler gets the last stored (transformed) state instead.
  EXPECT_EQ(h.recorder.calls(), (std::vector<std::string>{"add ns/a@5", "delete ns/a@5"}));
}

TEST(Reflector, ResyncRedeliversStoredObjects) {
  Harness h;
  h.lw->script_list(kube::ObjectList{{cm("a", "5")}, "10", ""});
  auto options = fast_options();
  options.resync_period = 10min;
  h.start(options);
  const auto resyncs = [&] {
    const auto calls = h.recorder.calls();
    return std::count(calls.begin(), calls.end(), "update ns/a@5");
  };
  ASSERT_TRUE(eventually([&] { return h.reflector->has_synced(); }));
  for (int round = 1; round <= 2; ++round) {
    // The watch blocks on the stream, so the one timed wait is the resync period.
    ASSERT_TRUE(eventually([&] { return h.waiting_for() == 10min; })) << round;
    h.clock->advance(10min - 1ns);
    EXPECT_EQ(resyncs(), round - 1);
    h.clock->advance(1ns);
    ASSERT_TRUE(eventually([&] { return resyncs() == round; })) << round;
  }
  EXPECT_EQ(h.lw->list_calls().size(), 1u);
}

TEST(Reflector, BackoffGrowsWithJitterUpToTheMaximum) {
  Harness h;
  auto options = fast_options();
  options.backoff_initial = 100ms;
  options.backoff_max = 300ms;
  for (int i = 0; i < 4; ++i) {
    h.lw->script_list(kube::ApiError(kube::ErrorKind::Transport, 0, "connection refused"));
  }
  h.lw->script_list(kube::ObjectList{{}, "10", ""});
  h.start(options);
  // base * [1, 1.5), the base doubling up to backoff_max, which also caps the jitter.
  const std::vector<std::pair<std::chrono::milliseconds, std::chrono::milliseconds>> bounds{
      {100ms, 150ms}, {200ms, 300ms}, {300ms, 300ms}, {300ms, 300ms}};
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    ASSERT_TRUE(eventually([&] { return h.lw->list_calls().size() == i + 1 && h.waiting_for(); }))
        << i;
    const auto delay = *h.waiting_for();
    EXPECT_GE(delay, bounds[i].first) << i;
    EXPECT_LE(delay, bounds[i].second) << i;
    h.clock->advance(delay - 1ns);
    EXPECT_EQ(h.lw->list_calls().size(), i + 1) << i;  // not retried a moment early
    h.clock->advance(1ns);
  }
  ASSERT_TRUE(eventually([&] { return h.reflector->has_synced(); }));
  EXPECT_EQ(h.lw->list_calls().size(), 5u);
}

TEST(Reflector, WatchEndingAtOnceWithoutEventsBacksOff) {
  // A server that closes every watch at once must not cause a hot loop of re-watches.
  Harness h;
  auto options = fast_options();
  options.min_watch_duration = 1s;
  h.lw->script_list(kube::ObjectList{{}, "10", ""});
  h.lw->script_watch({{}, StreamEnd::Close});
  h.start(options);
  ASSERT_TRUE(eventually([&] { return h.lw->watch_calls().size() == 1 && h.waiting_for(); }));
  EXPECT_GE(*h.waiting_for(), options.backoff_initial);
  EXPECT_EQ(h.lw->watch_calls().size(), 1u);
  h.clock->advance(*h.waiting_for());
  ASSERT_TRUE(eventually([&] { return h.lw->watch_calls().size() == 2; }));
}

TEST(Reflector, LateHandlersGetExistingObjects) {
  Harness h;
  h.lw->script_list(kube::ObjectList{{cm("a", "5"), cm("b", "6")}, "10", ""});
  h.start();
  ASSERT_TRUE(eventually([&] { return h.reflector->has_synced(); }));
  Recorder late;
  h.reflector->add_handlers(late.handlers());
  EXPECT_EQ(late.calls(), (std::vector<std::string>{"add ns/a@5", "add ns/b@6"}));
}

TEST(Reflector, HandlerExceptionDoesNotStopReflector) {
  Harness h;
  h.lw->script_list(kube::ObjectList{{cm("a", "5")}, "10", ""});
  h.lw->script_watch({{line("ADDED", cm("b", "11"))}, StreamEnd::Block});
  auto options = fast_options();
  options.clock = h.clock;
  auto reflector = std::make_unique<Reflector>(h.lw, h.store, options);
  reflector->add_handlers({.on_add = [](const ObjectPtr&) { throw std::runtime_error("boom"); }});
  h.reflector = std::move(reflector);
  h.reflector->add_handlers(h.recorder.handlers());
  h.thread = std::jthread([&](std::stop_token stop) { h.reflector->run(stop); });
  ASSERT_TRUE(eventually([&] { return h.recorder.size() == 2; }));
}

}  // namespace
}  // namespace secprov::runtime
