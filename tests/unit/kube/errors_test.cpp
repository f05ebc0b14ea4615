#include "kube/errors.h"

#include <gtest/gtest.h>

namespace secprov::kube {
namespace {

using std::chrono::seconds;

std::string status_body(int code, const std::string& reason, const std::string& message) {
  return R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":")" + message +
         R"(","reason":")" + reason + R"(","code":)" + std::to_string(code) + "}";
}

struct KindCase {
  int status;
  std::string reason;
  ErrorKind expected;
};

class StatusKindTest : public ::testing::TestWithParam<KindCase> {};

TEST_P(StatusKindTest, DecodesKindFromStatusAndReason) {
  const auto& param = GetParam();
  const ApiError error =
      error_from_response(param.status, status_body(param.status, param.reason, "boom"), {});
  EXPECT_EQ(error.kind(), param.expected) << to_string(error.kind());
  EXPECT_EQ(error.http_status(), param.status);
  EXPECT_EQ(error.reason(), param.reason);
  EXPECT_EQ(error.message(), "boom");
}

INSTANTIATE_TEST_SUITE_P(
    AllStatuses, StatusKindTest,
    ::testing::Values(KindCase{404, "NotFound", ErrorKind::NotFound},
                      KindCase{409, "AlreadyExists", ErrorKind::AlreadyExists},
                      KindCase{409, "Conflict", ErrorKind::Conflict},
                      KindCase{410, "Expired", ErrorKind::Gone},
                      KindCase{422, "Invalid", ErrorKind::Invalid},
                      KindCase{400, "BadRequest", ErrorKind::BadRequest},
                      KindCase{401, "Unauthorized", ErrorKind::Unauthorized},
                      KindCase{403, "Forbidden", ErrorKind::Forbidden},
                      KindCase{405, "MethodNotAllowed", ErrorKind::MethodNotAllowed},
                      KindCase{429, "TooManyRequests", ErrorKind::TooManyRequests},
                      KindCase{504, "Timeout", ErrorKind::Timeout},
                      KindCase{500, "InternalError", ErrorKind::ServerError},
                      KindCase{503, "ServiceUnavailable", ErrorKind::ServerError},
                      KindCase{415, "UnsupportedMediaType", ErrorKind::BadRequest}));

TEST(ErrorFromResponse, InvalidCarriesCauses) {
  const std::string body = R"({"kind":"Status","apiVersion":"v1","status":"Failure",
    "message":"SecurityProfile.secprov.io \"p\" is invalid","reason":"Invalid","code":422,
    "details":{"name":"p","group":"secprov.io","kind":"SecurityProfile","causes":[
      {"reason":"FieldValueInvalid","message":"Invalid value: \"1.0\"","field":"spec.sbi.tls.minVersion"},
      {"reason":"FieldValueRequired","message":"Required value","field":"spec.trustDomain"}]}})";
  const ApiError error = error_from_response(422, body, {});
  EXPECT_EQ(error.kind(), ErrorKind::Invalid);
  ASSERT_EQ(error.causes().size(), 2U);
  EXPECT_EQ(error.causes()[0].type, "FieldValueInvalid");
  EXPECT_EQ(error.causes()[0].field, "spec.sbi.tls.minVersion");
  EXPECT_EQ(error.causes()[0].message, "Invalid value: \"1.0\"");
  EXPECT_EQ(error.causes()[1].type, "FieldValueRequired");
  EXPECT_EQ(error.causes()[1].field, "spec.trustDomain");
  EXPECT_FALSE(error.retryable());
}

TEST(ErrorFromResponse, RetryAfterHeaderInSeconds) {
  const ApiError error =
      error_from_response(429, status_body(429, "TooManyRequests", "slow down"), "7");
  EXPECT_EQ(error.kind(), ErrorKind::TooManyRequests);
  ASSERT_TRUE(error.retry_after().has_value());
  EXPECT_EQ(*error.retry_after(), seconds(7));
  EXPECT_TRUE(error.retryable());
}

TEST(ErrorFromResponse, RetryAfterFromDetailsWhenNoHeader) {
  const std::string body = R"({"kind":"Status","reason":"TooManyRequests","code":429,
                              "details":{"retryAfterSeconds":2}})";
  EXPECT_EQ(error_from_response(429, body, std::nullopt).retry_after(), seconds(2));
  // The header wins over the body.
  EXPECT_EQ(error_from_response(429, body, "5").retry_after(), seconds(5));
}

TEST(ErrorFromResponse, UnparsableRetryAfterIsIgnored) {
  const ApiError error = error_from_response(429, "", "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(error.kind(), ErrorKind::TooManyRequests);
  EXPECT_FALSE(error.retry_after().has_value());
}

TEST(ErrorFromResponse, FallsBackToHttpStatusForNonStatusBodies) {
  const ApiError html = error_from_response(502, "<html><body>Bad gateway</body></html>", {});
  EXPECT_EQ(html.kind(), ErrorKind::ServerError);
  EXPECT_NE(html.message().find("Bad gateway"), std::string::npos);

  const ApiError empty = error_from_response(404, "", {});
  EXPECT_EQ(empty.kind(), ErrorKind::NotFound);
  EXPECT_EQ(empty.message(), "HTTP status 404");

  const ApiError json_but_not_status = error_from_response(403, R"(["x"])", {});
  EXPECT_EQ(json_but_not_status.kind(), ErrorKind::Forbidden);
}

TEST(ErrorFromResponse, LongBodiesAreTruncated) {
  const ApiError error = error_from_response(500, std::string(5000, 'x'), {});
  EXPECT_LT(error.message().size(), 300U);
}

TEST(ErrorFromResponse, WhatNamesKindStatusReasonAndMessage) {
  const ApiError error =
      error_from_response(404, status_body(404, "NotFound", "secrets a not found"), {});
  EXPECT_STREQ(error.what(), "NotFound (HTTP 404, NotFound): secrets a not found");
  EXPECT_TRUE(is_not_found(error));
  EXPECT_FALSE(is_conflict(error));
}

// The two 409 Conflict answers of the kube-apiserver (apimachinery errors.NewConflict and
// managedfields NewConflictError -> errors.NewApplyConflict), as sent on the wire.
TEST(ErrorFromResponse, StaleResourceVersionIsConflict) {
  const std::string body = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
    "message":"Operation cannot be fulfilled on configmaps \"cm\": the object has been modified; please apply your changes to the latest version and try again",
    "reason":"Conflict","details":{"name":"cm","kind":"configmaps"},"code":409})";
  const ApiError error = error_from_response(409, body, {});
  EXPECT_EQ(error.kind(), ErrorKind::Conflict);
  EXPECT_TRUE(is_conflict(error));
  EXPECT_FALSE(is_field_manager_conflict(error));
  EXPECT_NE(error.message().find("the object has been modified"), std::string::npos);
  EXPECT_TRUE(error.causes().empty());
  EXPECT_FALSE(error.retryable());
}

TEST(ErrorFromResponse, ApplyConflictWithAnotherFieldManagerIsItsOwnKind) {
  const std::string body = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
    "message":"Apply failed with 1 conflict: conflict with \"manager-a\": .data.key",
    "reason":"Conflict","details":{"causes":[{"reason":"FieldManagerConflict",
    "message":"conflict with \"manager-a\"","field":".data.key"}]},"code":409})";
  const ApiError error = error_from_response(409, body, {});
  EXPECT_EQ(error.kind(), ErrorKind::FieldManagerConflict);
  EXPECT_TRUE(is_field_manager_conflict(error));
  EXPECT_FALSE(is_conflict(error));
  EXPECT_EQ(error.reason(), "Conflict");
  ASSERT_EQ(error.causes().size(), 1U);
  EXPECT_EQ(error.causes()[0].type, "FieldManagerConflict");
  EXPECT_EQ(error.causes()[0].field, ".data.key");
  EXPECT_EQ(error.causes()[0].message, "conflict with \"manager-a\"");
  EXPECT_FALSE(error.retryable());
  EXPECT_EQ(std::string(error.what()).rfind("FieldManagerConflict (HTTP 409, Conflict): ", 0), 0U);
}

TEST(ErrorFromResponse, ApplyConflictWithSeveralManagers) {
  // More than one conflicting manager: one cause per field, the kind decided by any of them.
  const std::string body = R"({"kind":"Status","apiVersion":"v1","status":"Failure",
    "message":"Apply failed with 2 conflicts: conflicts with \"a\":\n- .data.x\nconflicts with \"b\" using v1:\n- .data.y",
    "reason":"Conflict","details":{"causes":[
      {"reason":"FieldManagerConflict","message":"conflict with \"a\"","field":".data.x"},
      {"reason":"FieldManagerConflict","message":"conflict with \"b\" using v1","field":".data.y"}]},
    "code":409})";
  const ApiError error = error_from_response(409, body, {});
  EXPECT_EQ(error.kind(), ErrorKind::FieldManagerConflict);
  EXPECT_EQ(error.causes().size(), 2U);
}

TEST(ApiError, RetryableKinds) {
  const auto retryable = [](ErrorKind kind) { return ApiError(kind, 0, "x").retryable(); };
  EXPECT_TRUE(retryable(ErrorKind::TooManyRequests));
  EXPECT_TRUE(retryable(ErrorKind::Timeout));
  EXPECT_TRUE(retryable(ErrorKind::ServerError));
  EXPECT_TRUE(retryable(ErrorKind::Transport));
  for (const ErrorKind kind : {ErrorKind::NotFound, ErrorKind::AlreadyExists, ErrorKind::Conflict,
                               ErrorKind::FieldManagerConflict, ErrorKind::Gone, ErrorKind::Invalid,
                               ErrorKind::BadRequest, ErrorKind::Unauthorized, ErrorKind::Forbidden,
                               ErrorKind::MethodNotAllowed, ErrorKind::Decode}) {
    EXPECT_FALSE(retryable(kind)) << to_string(kind);
  }
}

TEST(ApiError, TransportErrorWithoutStatus) {
  const ApiError error(ErrorKind::Transport, 0, "connection refused");
  EXPECT_STREQ(error.what(), "Transport: connection refused");
}

TEST(ConfigError, NamesFieldAndReason) {
  const ConfigError error("users[admin].user.client-key-data", "not valid base64");
  EXPECT_EQ(error.field(), "users[admin].user.client-key-data");
  EXPECT_EQ(error.reason(), "not valid base64");
  EXPECT_STREQ(error.what(), "users[admin].user.client-key-data: not valid base64");
}

}  // namespace
}  // namespace secprov::kube
