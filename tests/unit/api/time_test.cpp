#include "api/time.h"

#include <gtest/gtest.h>

namespace secprov::api {
namespace {

using namespace std::chrono;

TEST(Rfc3339, FormatsUtcWithSeconds) {
  const Timestamp t = sys_days{2025y / January / 2} + 3h + 4min + 5s;
  EXPECT_EQ(format_rfc3339(t), "2025-01-02T03:04:05Z");
  EXPECT_EQ(format_rfc3339(Timestamp{}), "1970-01-01T00:00:00Z");
}

TEST(Rfc3339, ParsesZuluOffsetsAndFractions) {
  const Timestamp t = sys_days{2025y / January / 2} + 3h + 4min + 5s;
  EXPECT_EQ(parse_rfc3339("2025-01-02T03:04:05Z"), t);
  EXPECT_EQ(parse_rfc3339("2025-01-02T03:04:05.123456Z"), t);
  EXPECT_EQ(parse_rfc3339("2025-01-02T05:04:05+02:00"), t);
  EXPECT_EQ(parse_rfc3339("2025-01-01T23:04:05-04:00"), t);
  EXPECT_EQ(parse_rfc3339("2025-01-02t03:04:05z"), t);
}

TEST(Rfc3339, RejectsMalformed) {
  for (const char* bad :
       {"", "2025-01-02", "2025-01-02T03:04:05", "2025-13-02T03:04:05Z", "2025-02-30T03:04:05Z",
        "2025-01-02T24:00:00Z", "2025-01-02 03:04:05Z", "2025-01-02T03:04:05.Z",
        "2025-01-02T03:04:05+0200", "2025-01-02T03:04:05Zjunk"}) {
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  }
}

TEST(Rfc3339, RoundTrips) {
  const Timestamp t = sys_days{2031y / December / 31} + 23h + 59min + 59s;
  EXPECT_EQ(parse_rfc3339(format_rfc3339(t)), t);
}

}  // namespace
}  // namespace secprov::api
