#include "runtime/heap.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "test_util.h"

namespace secprov::runtime {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::ManualClock;

HeapReleaseOptions options() {
  HeapReleaseOptions o;
  o.quiet = 10s;
  o.min_interval = 60s;
  o.min_passes = 100;
  return o;
}

// One reading of the controllers' pass count, `at` seconds after the start, and whether the
// policy should say a release is due then.
struct Reading {
  int at;
  std::uint64_t passes;
  bool due;
};

struct PolicyCase {
  const char* name;
  std::vector<Reading> readings;
};

class HeapReleasePolicyTable : public ::testing::TestWithParam<PolicyCase> {};

TEST_P(HeapReleasePolicyTable, DecidesAtEachReading) {
  HeapReleasePolicy policy(options());
  const Clock::time_point start{};
  for (const auto& r : GetParam().readings) {
    EXPECT_EQ(policy.due(start + std::chrono::seconds(r.at), r.passes), r.due)
        << "at " << r.at << " s with " << r.passes << " passes";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HeapReleasePolicyTable,
    ::testing::Values(PolicyCase{"NeverOnTheFirstReading", {{0, 5000, false}}},
                      PolicyCase{"WhileBusyNever",
                                 {{0, 0, false},
                                  {5, 500, false},
                                  {15, 1000, false},
                                  {25, 1500, false},
                                  {35, 2000, false}}},
                      PolicyCase{"OnceQuietAfterABurst",
                                 {{0, 0, false},
                                  {5, 1000, false},
                                  {10, 1000, false},
                                  {15, 1000, true},
                                  {20, 1000, false},
                                  {200, 1000, false}}},
                      PolicyCase{"QuietCountsFromTheLastChange",
                                 {{0, 0, false},
                                  {5, 1000, false},
                                  {14, 1001, false},
                                  {20, 1001, false},
                                  {24, 1001, true}}},
                      PolicyCase{
                          "NotForAFewPasses",
                          {{0, 0, false}, {5, 99, false}, {30, 99, false}, {300, 99, false}}},
                      PolicyCase{"AFewMorePassesAfterAReleaseWaitUntilTheyAddUp",
                                 {{0, 0, false},
                                  {5, 1000, false},
                                  {15, 1000, true},
                                  {100, 1050, false},
                                  {200, 1050, false},
                                  {300, 1100, false},
                                  {310, 1100, true}}},
                      PolicyCase{"AtMostOncePerMinInterval",
                                 {{0, 0, false},
                                  {5, 1000, false},
                                  {15, 1000, true},
                                  {20, 2000, false},
                                  {30, 2000, false},
                                  {74, 2000, false},
                                  {75, 2000, true}}}),
    [](const auto& test) { return std::string(test.param.name); });

TEST(HeapRelease, ReadsPassesAtEachCheckAndStopsWhenAsked) {
  auto clock = std::make_shared<ManualClock>();
  std::atomic<int> reads{0};
  HeapReleaseOptions o = options();
  o.check_interval = 5s;
  std::jthread loop([&](std::stop_token stop) {
    run_heap_release(stop, *clock, o, [&reads] {
      ++reads;
      return std::uint64_t{0};
    });
  });
  ASSERT_TRUE(eventually([&] { return clock->sleepers() == 1; }));
  EXPECT_EQ(reads.load(), 0);  // not before the first interval has passed
  clock->advance(5s);
  ASSERT_TRUE(eventually([&] { return reads.load() == 1 && clock->sleepers() == 1; }));
  clock->advance(5s);
  ASSERT_TRUE(eventually([&] { return reads.load() == 2 && clock->sleepers() == 1; }));
  loop.request_stop();
  loop.join();  // returns without the clock moving
  EXPECT_EQ(reads.load(), 2);
}

TEST(HeapRelease, ResidentAnonymousMemoryIsRead) {
  const auto bytes = resident_anonymous_bytes();
  ASSERT_TRUE(bytes.has_value());
  EXPECT_GT(*bytes, 0u);
}

#if defined(__SANITIZE_ADDRESS__)
#define SECPROV_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SECPROV_UNDER_ASAN 1
#endif
#endif

// What the operator's threads leave after a burst: a thread arena whose freed chunks sit among
// live ones, so the heap's top cannot shrink by itself.
TEST(HeapRelease, ReturnsTheFreedPagesOfAFragmentedThreadArena) {
#if defined(SECPROV_UNDER_ASAN) || !defined(__GLIBC__)
  GTEST_SKIP() << "glibc's allocator only (ASan brings its own)";
#else
  constexpr std::size_t kChunk = 1024;
  constexpr std::size_t kChunks = 64 * 1024;  // 64 MiB
  constexpr std::size_t kKeepEvery = 64;      // one live KiB per 64: pins no page
  std::vector<std::unique_ptr<char[]> > kept;
  std::thread([&kept] {
    std::vector<std::unique_ptr<char[]> > all;
    all.reserve(kChunks);
    for (std::size_t i = 0; i < kChunks; ++i) {
      all.push_back(std::make_unique_for_overwrite<char[]>(kChunk));
      std::memset(all.back().get(), 1, kChunk);  // resident
    }
    for (std::size_t i = 0; i < kChunks; i += kKeepEvery) kept.push_back(std::move(all[i]));
  }).join();  // `all` freed: 63 MiB free among live chunks
  const auto before = resident_anonymous_bytes();
  EXPECT_TRUE(release_free_heap());
  const auto after = resident_anonymous_bytes();
  ASSERT_TRUE(before && after);
  EXPECT_GT(*before, *after + 32u * 1024 * 1024)
      << "resident " << *before / 1024 << " KiB before, " << *after / 1024 << " KiB after";
#endif
}

}  // namespace
}  // namespace secprov::runtime
