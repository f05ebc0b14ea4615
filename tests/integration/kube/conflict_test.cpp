// The two kinds of 409 Conflict the real kube-apiserver sends, told apart: a write from a
// stale view (optimistic lock on resourceVersion) and a server-side apply without force that
// touches fields another field manager owns.
#include <gtest/gtest.h>

#include <optional>

#include "kube/client.h"
#include "kube/errors.h"
#include "support/cluster.h"

namespace secprov::testing {
namespace {

using kube::ApiError;
using kube::ErrorKind;
using kube::Json;
namespace resources = kube::resources;

Json config_map(const std::string& name, Json data) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}}},
          {"data", std::move(data)}};
}

std::optional<ApiError> error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const ApiError& e) {
    return e;
  }
  return std::nullopt;
}

using ConflictTest = ClusterTest;

TEST_F(ConflictTest, StaleResourceVersionIsConflictForPutAndMergePatch) {
  const auto read =
      client_->create(resources::config_maps(), namespace_, config_map("contended", {{"v", "1"}}));
  auto winner = read;
  winner["data"]["v"] = "2";
  client_->update(resources::config_maps(), namespace_, winner);

  // PUT from the stale read.
  auto stale = read;
  stale["data"]["v"] = "3";
  const auto put = error_of([&] { client_->update(resources::config_maps(), namespace_, stale); });
  ASSERT_TRUE(put.has_value());
  EXPECT_EQ(put->kind(), ErrorKind::Conflict) << put->what();
  EXPECT_TRUE(kube::is_conflict(*put));
  EXPECT_FALSE(kube::is_field_manager_conflict(*put));
  EXPECT_NE(put->message().find("the object has been modified"), std::string::npos);

  // A merge patch that carries the stale resourceVersion as its precondition.
  const Json patch = {{"metadata", {{"resourceVersion", read["metadata"]["resourceVersion"]}}},
                      {"data", {{"v", "4"}}}};
  const auto merge = error_of(
      [&] { client_->merge_patch(resources::config_maps(), namespace_, "contended", patch); });
  ASSERT_TRUE(merge.has_value());
  EXPECT_EQ(merge->kind(), ErrorKind::Conflict) << merge->what();
  EXPECT_FALSE(kube::is_field_manager_conflict(*merge));

  EXPECT_EQ(client_->get(resources::config_maps(), namespace_, "contended")["data"]["v"], "2");
}

TEST_F(ConflictTest, ApplyWithoutForceOnAnotherManagersFieldIsFieldManagerConflict) {
  client_->apply(resources::config_maps(), namespace_, config_map("shared", {{"key", "first"}}),
                 kube::ApplyOptions{.field_manager = "manager-a", .force = false});

  const auto error = error_of([&] {
    client_->apply(resources::config_maps(), namespace_, config_map("shared", {{"key", "second"}}),
                   kube::ApplyOptions{.field_manager = "manager-b", .force = false});
  });
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind(), ErrorKind::FieldManagerConflict) << error->what();
  EXPECT_TRUE(kube::is_field_manager_conflict(*error));
  EXPECT_FALSE(kube::is_conflict(*error));
  EXPECT_EQ(error->http_status(), 409);
  EXPECT_EQ(error->reason(), "Conflict");
  ASSERT_EQ(error->causes().size(), 1U);
  EXPECT_EQ(error->causes()[0].type, "FieldManagerConflict");
  EXPECT_EQ(error->causes()[0].field, ".data.key");
  EXPECT_NE(error->causes()[0].message.find("manager-a"), std::string::npos);

  EXPECT_EQ(client_->get(resources::config_maps(), namespace_, "shared")["data"]["key"], "first");
}

}  // namespace
}  // namespace secprov::testing
