// with_finalizer on the in-memory API: which event the reconcile gets, and what is patched.
#include "runtime/finalizer.h"

#include <gtest/gtest.h>

#include "kube/errors.h"
#include "unit/runtime/fake_api.h"

namespace secprov::runtime {
namespace {

using Json = nlohmann::json;

constexpr const char* kPath = "/apis/secprov.io/v1alpha1/namespaces/5gc/securityprofiles/amf";
constexpr const char* kFinalizer = "secprov.io/cleanup";

class FinalizerTest : public ::testing::Test {
 protected:
  Json stored(Json metadata_extra = Json::object()) {
    Json object = {{"apiVersion", "secprov.io/v1alpha1"},
                   {"kind", "SecurityProfile"},
                   {"metadata", {{"name", "amf"}, {"namespace", "5gc"}, {"uid", "u"}}}};
    object["metadata"].update(metadata_extra);
    api_.put_object(kPath, object);
    return *api_.object(kPath);
  }
  // Runs with_finalizer and records which events the reconcile saw.
  ReconcileResult run(const Json& object, std::vector<FinalizerEvent>& seen,
                      ReconcileResult result = ReconcileResult::Done()) {
    return with_finalizer(*client_, kube::resources::security_profiles(), object, kFinalizer,
                          [&](FinalizerEvent event) {
                            seen.push_back(event);
                            return result;
                          });
  }
  Json finalizers() const {
    return api_.object(kPath)->at("metadata").value("finalizers", Json::array());
  }

  void SetUp() override { api_.check_write_preconditions(); }

  testing::FakeApi api_;
  std::shared_ptr<kube::Client> client_ = api_.client();
};

TEST(HasFinalizer, FindsOnlyThatFinalizer) {
  EXPECT_TRUE(has_finalizer(Json{{"metadata", {{"finalizers", {"a", kFinalizer}}}}}, kFinalizer));
  EXPECT_FALSE(has_finalizer(Json{{"metadata", {{"finalizers", {"a"}}}}}, kFinalizer));
  EXPECT_FALSE(has_finalizer(Json{{"metadata", Json::object()}}, kFinalizer));
  EXPECT_FALSE(has_finalizer(Json{{"metadata", {{"finalizers", kFinalizer}}}}, kFinalizer));
}

TEST(FinalizersWithout, KeepsTheOthersInOrderAndSaysWhenItIsNotThere) {
  EXPECT_EQ(
      finalizers_without(Json{{"metadata", {{"finalizers", {"a", kFinalizer, "b"}}}}}, kFinalizer),
      Json({"a", "b"}));
  EXPECT_EQ(finalizers_without(Json{{"metadata", {{"finalizers", {kFinalizer}}}}}, kFinalizer),
            Json::array());
  EXPECT_FALSE(
      finalizers_without(Json{{"metadata", {{"finalizers", {"a"}}}}}, kFinalizer).has_value());
}

TEST_F(FinalizerTest, ALiveObjectWithoutTheFinalizerGetsItAndNoApplyYet) {
  std::vector<FinalizerEvent> seen;
  const auto result = run(stored({{"finalizers", {"other.io/keep"}}}), seen);
  EXPECT_TRUE(seen.empty());  // apply waits for the update to come back through the watch
  EXPECT_FALSE(result.requeue_after.has_value());
  EXPECT_EQ(finalizers(), Json({"other.io/keep", kFinalizer}));
}

TEST_F(FinalizerTest, ALiveObjectWithTheFinalizerIsAppliedAndNotPatched) {
  std::vector<FinalizerEvent> seen;
  const auto object = stored({{"finalizers", {kFinalizer}}});
  const auto patches = api_.requests("PATCH").size();
  const auto result = run(object, seen, ReconcileResult::RequeueAfter(std::chrono::seconds(7)));
  EXPECT_EQ(seen, std::vector<FinalizerEvent>{FinalizerEvent::Apply});
  EXPECT_EQ(result.requeue_after, std::chrono::milliseconds(7000));
  EXPECT_EQ(api_.requests("PATCH").size(), patches);
}

TEST_F(FinalizerTest, ADeletedObjectIsCleanedUpThenReleasedKeepingOtherFinalizers) {
  std::vector<FinalizerEvent> seen;
  run(stored({{"finalizers", {"other.io/keep", kFinalizer}},
              {"deletionTimestamp", "2026-11-29T20:00:00Z"}}),
      seen);
  EXPECT_EQ(seen, std::vector<FinalizerEvent>{FinalizerEvent::Cleanup});
  EXPECT_EQ(finalizers(), Json({"other.io/keep"}));
}

TEST_F(FinalizerTest, AFailedCleanupKeepsTheFinalizer) {
  const auto object =
      stored({{"finalizers", {kFinalizer}}, {"deletionTimestamp", "2026-11-29T20:00:00Z"}});
  EXPECT_THROW(with_finalizer(*client_, kube::resources::security_profiles(), object, kFinalizer,
                              [](FinalizerEvent) -> ReconcileResult {
                                throw std::runtime_error("cleanup failed");
                              }),
               std::runtime_error);
  EXPECT_EQ(finalizers(), Json({kFinalizer}));
}

TEST_F(FinalizerTest, ADeletedObjectWithoutTheFinalizerIsLeftAlone) {
  std::vector<FinalizerEvent> seen;
  run(stored({{"deletionTimestamp", "2026-11-29T20:00:00Z"}, {"finalizers", {"other.io/keep"}}}),
      seen);
  EXPECT_TRUE(seen.empty());
  EXPECT_TRUE(api_.requests("PATCH").empty());
}

TEST_F(FinalizerTest, AStaleViewGetsConflictAndPatchesNothing) {
  auto object = stored();
  stored({{"labels", {{"changed", "yes"}}}});  // a newer resourceVersion on the server
  std::vector<FinalizerEvent> seen;
  try {
    run(object, seen);
    ADD_FAILURE() << "a stale resourceVersion was accepted";
  } catch (const kube::ApiError& e) {
    EXPECT_EQ(e.kind(), kube::ErrorKind::Conflict);
  }
  EXPECT_TRUE(finalizers().empty());
}

}  // namespace
}  // namespace secprov::runtime
