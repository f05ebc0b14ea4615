// The kube client against a real kube-apiserver: verbs, typed errors, server-side apply.
#include "kube/client.h"

#include <gtest/gtest.h>

#include "support/cluster.h"
#include "support/process.h"

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

ErrorKind error_kind_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const ApiError& e) {
    return e.kind();
  }
  ADD_FAILURE() << "expected an ApiError";
  return ErrorKind::Decode;
}

using ClientTest = ClusterTest;

TEST_F(ClientTest, ConfigMapCreateGetUpdateDelete) {
  const auto created = client_->create(resources::config_maps(), namespace_,
                                       config_map("settings", {{"tls", "1.3"}}));
  EXPECT_FALSE(created["metadata"]["uid"].get<std::string>().empty());

  auto fetched = client_->get(resources::config_maps(), namespace_, "settings");
  EXPECT_EQ(fetched["data"]["tls"], "1.3");

  fetched["data"]["tls"] = "1.2";
  const auto updated = client_->update(resources::config_maps(), namespace_, fetched);
  EXPECT_EQ(updated["data"]["tls"], "1.2");
  EXPECT_NE(updated["metadata"]["resourceVersion"], fetched["metadata"]["resourceVersion"]);

  client_->remove(resources::config_maps(), namespace_, "settings");
  EXPECT_EQ(error_kind_of([&] { client_->get(resources::config_maps(), namespace_, "settings"); }),
            ErrorKind::NotFound);
}

TEST_F(ClientTest, SecretRoundTripKeepsBinaryData) {
  const Json secret = {{"apiVersion", "v1"},
                       {"kind", "Secret"},
                       {"metadata", {{"name", "creds"}}},
                       {"type", "Opaque"},
                       {"data", {{"psk", "AAECAwQ="}}}};
  client_->create(resources::secrets(), namespace_, secret);
  const auto fetched = client_->get(resources::secrets(), namespace_, "creds");
  EXPECT_EQ(fetched["data"]["psk"], "AAECAwQ=");
  EXPECT_EQ(fetched["type"], "Opaque");
}

TEST_F(ClientTest, CreatingAnExistingNameIsAlreadyExists) {
  client_->create(resources::config_maps(), namespace_, config_map("twice", Json::object()));
  EXPECT_EQ(error_kind_of([&] {
              client_->create(resources::config_maps(), namespace_,
                              config_map("twice", Json::object()));
            }),
            ErrorKind::AlreadyExists);
}

TEST_F(ClientTest, UpdateWithStaleResourceVersionIsConflict) {
  const auto first =
      client_->create(resources::config_maps(), namespace_, config_map("contended", {{"v", "1"}}));
  auto winner = first;
  winner["data"]["v"] = "2";
  client_->update(resources::config_maps(), namespace_, winner);

  auto loser = first;  // still carries the old resourceVersion
  loser["data"]["v"] = "3";
  EXPECT_EQ(error_kind_of([&] { client_->update(resources::config_maps(), namespace_, loser); }),
            ErrorKind::Conflict);
  EXPECT_EQ(client_->get(resources::config_maps(), namespace_, "contended")["data"]["v"], "2");
}

TEST_F(ClientTest, InvalidObjectCarriesFieldCauses) {
  try {
    client_->create(resources::config_maps(), namespace_,
                    config_map("Not_A_DNS_Name", Json::object()));
    FAIL() << "expected Invalid";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Invalid);
    EXPECT_EQ(e.http_status(), 422);
    ASSERT_FALSE(e.causes().empty());
    EXPECT_EQ(e.causes().front().field, "metadata.name");
  }
}

TEST_F(ClientTest, ListWithLabelSelectorAndPaging) {
  for (int i = 0; i < 7; ++i) {
    auto object = config_map("page-" + std::to_string(i), Json::object());
    object["metadata"]["labels"] = {{"group", i % 2 == 0 ? "even" : "odd"}};
    client_->create(resources::config_maps(), namespace_, object);
  }
  kube::ListOptions even;
  even.label_selector = "group=even";
  EXPECT_EQ(client_->list(resources::config_maps(), namespace_, even).items.size(), 4u);

  kube::ListOptions paged;
  paged.label_selector = "group";
  paged.limit = 3;
  const auto all = client_->list(resources::config_maps(), namespace_, paged);
  EXPECT_EQ(all.items.size(), 7u) << "list() follows continue tokens";
  EXPECT_FALSE(all.resource_version.empty());

  const auto first_page = client_->list_page(resources::config_maps(), namespace_, paged);
  EXPECT_EQ(first_page.items.size(), 3u);
  EXPECT_FALSE(first_page.continue_token.empty());

  kube::ListOptions by_field;
  by_field.field_selector = "metadata.name=page-3";
  const auto one = client_->list(resources::config_maps(), namespace_, by_field);
  ASSERT_EQ(one.items.size(), 1u);
  EXPECT_EQ(one.items[0]["metadata"]["name"], "page-3");
}

TEST_F(ClientTest, MergePatchChangesOnlyTheGivenKeys) {
  client_->create(resources::config_maps(), namespace_,
                  config_map("patched", {{"a", "1"}, {"b", "2"}}));
  const auto patched = client_->merge_patch(resources::config_maps(), namespace_, "patched",
                                            {{"data", {{"b", "3"}, {"a", nullptr}}}});
  EXPECT_FALSE(patched["data"].contains("a"));
  EXPECT_EQ(patched["data"]["b"], "3");
}

TEST_F(ClientTest, ServerSideApplyLeavesAnotherManagersFieldsAlone) {
  kube::ApplyOptions operator_manager{.field_manager = "secprov", .force = false};
  client_->apply(resources::config_maps(), namespace_, config_map("shared", {{"owned", "a"}}),
                 operator_manager);

  kube::ApplyOptions other_manager{.field_manager = "someone-else", .force = false};
  Json foreign = config_map("shared", {{"foreign", "x"}});
  foreign["metadata"]["labels"] = {{"team", "core"}};
  client_->apply(resources::config_maps(), namespace_, foreign, other_manager);

  // The operator re-applies its own intent, changed; the other manager's fields survive.
  const auto result = client_->apply(resources::config_maps(), namespace_,
                                     config_map("shared", {{"owned", "b"}}), operator_manager);
  EXPECT_EQ(result["data"]["owned"], "b");
  EXPECT_EQ(result["data"]["foreign"], "x");
  EXPECT_EQ(result["metadata"]["labels"]["team"], "core");

  // Without force, taking a field another manager owns is a FieldManagerConflict; with force
  // it is taken.
  EXPECT_EQ(error_kind_of([&] {
              client_->apply(resources::config_maps(), namespace_,
                             config_map("shared", {{"owned", "b"}, {"foreign", "mine"}}),
                             operator_manager);
            }),
            ErrorKind::FieldManagerConflict);
  const auto forced = client_->apply(resources::config_maps(), namespace_,
                                     config_map("shared", {{"owned", "b"}, {"foreign", "mine"}}),
                                     kube::ApplyOptions{.field_manager = "secprov", .force = true});
  EXPECT_EQ(forced["data"]["foreign"], "mine");
}

TEST_F(ClientTest, DeleteWithStaleUidPreconditionIsConflict) {
  client_->create(resources::config_maps(), namespace_, config_map("guarded", Json::object()));
  kube::DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "00000000-0000-0000-0000-000000000000";
  EXPECT_EQ(error_kind_of([&] {
              client_->remove(resources::config_maps(), namespace_, "guarded", wrong_uid);
            }),
            ErrorKind::Conflict);
  EXPECT_NO_THROW(client_->get(resources::config_maps(), namespace_, "guarded"));
}

TEST_F(ClientTest, OwnerReferenceCascadeDeletionByGarbageCollector) {
  const auto owner =
      client_->create(resources::config_maps(), namespace_, config_map("owner", Json::object()));
  auto dependent = config_map("dependent", Json::object());
  dependent["metadata"]["ownerReferences"] = Json::array({{{"apiVersion", "v1"},
                                                           {"kind", "ConfigMap"},
                                                           {"name", "owner"},
                                                           {"uid", owner["metadata"]["uid"]},
                                                           {"controller", true},
                                                           {"blockOwnerDeletion", true}}});
  client_->create(resources::config_maps(), namespace_, dependent);

  kube::DeleteOptions background;
  background.propagation = kube::Propagation::Background;
  client_->remove(resources::config_maps(), namespace_, "owner", background);
  EXPECT_TRUE(eventually(
      [&] {
        try {
          client_->get(resources::config_maps(), namespace_, "dependent");
          return false;
        } catch (const ApiError& e) {
          return e.kind() == ErrorKind::NotFound;
        }
      },
      std::chrono::seconds(60)))
      << "the garbage collector did not delete the dependent";
}

TEST_F(ClientTest, StatusSubresourceUpdate) {
  // Namespaces have a status subresource everywhere; use the test's own namespace.
  auto ns = client_->get(resources::namespaces(), "", namespace_);
  EXPECT_EQ(ns["status"]["phase"], "Active");
  EXPECT_NO_THROW(client_->get(resources::namespaces(), "", namespace_, "status"));
}

TEST(ClientAuth, RestrictedServiceAccountIsForbidden) {
  const auto admin = admin_client();
  const auto& paths = cluster_paths();
  const auto out = paths.data_dir / "restricted.kubeconfig";
  std::string output;
  const int rc =
      run_command((paths.source_dir / "build" / "bin" / "secprov-controlplane").string() +
                      " sa-kubeconfig --kubeconfig " + paths.admin_kubeconfig.string() +
                      " --namespace default --service-account restricted --out " + out.string(),
                  &output);
  ASSERT_EQ(rc, 0) << output;
  const auto restricted = kube::Client::connect(kube::load_kubeconfig(out));
  try {
    restricted->list(kube::resources::secrets(), "default");
    FAIL() << "expected Forbidden";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Forbidden);
    EXPECT_EQ(e.http_status(), 403);
  }
}

TEST(ClientAuth, UnknownClientCertificateIsUnauthorized) {
  const auto& paths = cluster_paths();
  ensure_control_plane();
  auto config = kube::load_kubeconfig(paths.admin_kubeconfig);
  config.tls.client_cert_pem.clear();
  config.tls.client_key_pem.clear();
  config.token = kube::static_token("not-a-real-token");
  const auto anonymous = kube::Client::connect(config);
  try {
    anonymous->list(kube::resources::config_maps(), "default");
    FAIL() << "expected Unauthorized";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unauthorized);
  }
}

}  // namespace
}  // namespace secprov::testing
