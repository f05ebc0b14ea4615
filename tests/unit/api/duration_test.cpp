#include "api/duration.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace secprov::api {
namespace {

using namespace std::chrono_literals;

TEST(GoDuration, ParsesSingleUnits) {
  EXPECT_EQ(parse_go_duration("2160h"), std::chrono::seconds(2160 * 3600));
  EXPECT_EQ(parse_go_duration("90m"), std::chrono::seconds(5400));
  EXPECT_EQ(parse_go_duration("45s"), std::chrono::seconds(45));
  EXPECT_EQ(parse_go_duration_ns("500ms"), std::chrono::nanoseconds(500'000'000));
  EXPECT_EQ(parse_go_duration_ns("7us"), std::chrono::nanoseconds(7'000));
  EXPECT_EQ(parse_go_duration_ns("3ns"), std::chrono::nanoseconds(3));
  EXPECT_EQ(parse_go_duration("0s"), std::chrono::seconds(0));
}

TEST(GoDuration, ParsesCompoundAndFractions) {
  EXPECT_EQ(parse_go_duration("1h30m"), std::chrono::seconds(5400));
  EXPECT_EQ(parse_go_duration("1h0m0s"), std::chrono::seconds(3600));
  EXPECT_EQ(parse_go_duration("1.5h"), std::chrono::seconds(5400));
  EXPECT_EQ(parse_go_duration("2h45m30.5s"), std::chrono::seconds(2 * 3600 + 45 * 60 + 30));
  EXPECT_EQ(parse_go_duration_ns("2h45m30.5s"),
            std::chrono::nanoseconds((2LL * 3600 + 45 * 60 + 30) * 1'000'000'000LL + 500'000'000));
  EXPECT_EQ(parse_go_duration("500ms"), std::chrono::seconds(0));  // truncated
  EXPECT_EQ(parse_go_duration("26280h"), std::chrono::seconds(26280LL * 3600));
}

TEST(GoDuration, RejectsWhatThePatternRejects) {
  for (const char* bad : {"", "h", "1", "-1h", "+1h", "1d", "1.h", ".5h", "1 h", " 1h", "1h ", "1H",
                          "1hh", "5µs", "1h-30m", "P1D", "abc"}) {
    EXPECT_FALSE(parse_go_duration(bad).has_value()) << bad;
  }
}

TEST(GoDuration, RejectsOverflowLikeGo) {
  // Go's max duration is 2562047h47m16.854775807s.
  EXPECT_TRUE(parse_go_duration("2562047h").has_value());
  EXPECT_FALSE(parse_go_duration("2562048h").has_value());
  EXPECT_FALSE(parse_go_duration("99999999999999999999h").has_value());
  EXPECT_FALSE(parse_go_duration("2562047h2562047h").has_value());
}

TEST(GoDuration, HugeValuesNeverOverflow) {
  // (The sanitizer build runs this too: any signed or unsigned wrap-around would show.)
  constexpr auto kMax = std::chrono::nanoseconds(std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(parse_go_duration_ns("922337203685477579ns"),
            std::chrono::nanoseconds(922337203685477579LL));
  EXPECT_EQ(parse_go_duration_ns("2562047h47m16.854775807s"), kMax);
  for (const std::string& bad :
       {std::string("9223372036854775808ns"), std::string("18446744073709551615ns"),
        std::string("18446744073709551616ns"), std::string("2562047h47m16.854775808s"),
        std::string("9223372036854775807ns1ns"), std::string("1") + std::string(100, '0') + "h",
        std::string("9223372036854775807h"), std::string("9223372036854775807.9h"),
        std::string("4611686018427387904ms4611686018427387904ms"),
        std::string(200, '9') + "." + std::string(200, '9') + "us"}) {
    EXPECT_FALSE(parse_go_duration_ns(bad).has_value()) << bad;
    EXPECT_FALSE(parse_go_duration(bad).has_value()) << bad;
  }
  // A long fraction is truncated, as Go does, not overflowed.
  const auto almost_an_hour = parse_go_duration_ns("0." + std::string(60, '9') + "h");
  ASSERT_TRUE(almost_an_hour.has_value());
  EXPECT_LE(*almost_an_hour, std::chrono::hours(1));
  EXPECT_GT(*almost_an_hour, std::chrono::minutes(59));
}

TEST(GoDuration, FormatsCompactlyAndRoundTrips) {
  EXPECT_EQ(format_go_duration(std::chrono::hours(2160)), "2160h");
  EXPECT_EQ(format_go_duration(std::chrono::seconds(5400)), "1h30m");
  EXPECT_EQ(format_go_duration(std::chrono::seconds(3661)), "1h1m1s");
  EXPECT_EQ(format_go_duration(std::chrono::seconds(59)), "59s");
  EXPECT_EQ(format_go_duration(std::chrono::seconds(0)), "0s");
  for (long long s : {1LL, 59LL, 60LL, 3599LL, 3600LL, 86400LL, 7776000LL, 94608000LL}) {
    auto text = format_go_duration(std::chrono::seconds(s));
    EXPECT_EQ(parse_go_duration(text), std::chrono::seconds(s)) << text;
  }
}

}  // namespace
}  // namespace secprov::api
