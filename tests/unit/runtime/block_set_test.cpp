#include "runtime/block_set.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <set>
#include <vector>

namespace secprov::runtime {
namespace {

template <class Less>
std::vector<int> members(const BlockSet<int, Less>& set) {
  return {set.begin(), set.end()};
}

// Every answer, the order and the size as a std::set's, through thousands of inserts and
// erases that split blocks and empty them (a reversed order too, as the typed cache orders
// its own comparator).
TEST(BlockSet, BehavesAsAnOrderedSetThroughSplitsAndEmptiedBlocks) {
  std::mt19937 random(7);
  BlockSet<int, std::greater<>> set;
  std::set<int, std::greater<>> expected;
  for (int round = 0; round < 20000; ++round) {
    const int value = static_cast<int>(random() % 3000);
    if (random() % 3 != 0) {
      EXPECT_EQ(set.insert(value), expected.insert(value).second) << value;
    } else {
      EXPECT_EQ(set.erase(value), expected.erase(value) == 1) << value;
    }
    ASSERT_EQ(set.size(), expected.size());
    if (round % 1000 == 0) {
      ASSERT_EQ(members(set), std::vector<int>(expected.begin(), expected.end()));
    }
  }
  EXPECT_GT(set.size(), 2 * BlockSet<int>::kBlock);  // several blocks were in play
  EXPECT_EQ(members(set), std::vector<int>(expected.begin(), expected.end()));
  for (const int value : std::vector<int>(expected.begin(), expected.end())) {
    EXPECT_TRUE(set.erase(value));
  }
  EXPECT_TRUE(set.empty());
  EXPECT_EQ(set.begin(), set.end());
  EXPECT_FALSE(set.erase(1));
}

TEST(BlockSet, AscendingAndDescendingRunsFillBlocksInOrder) {
  BlockSet<int> set;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(set.insert(i));
  for (int i = -1; i >= -1000; --i) EXPECT_TRUE(set.insert(i));
  EXPECT_FALSE(set.insert(0));
  EXPECT_FALSE(set.insert(-1000));
  std::vector<int> all;
  for (int i = -1000; i < 1000; ++i) all.push_back(i);
  EXPECT_EQ(members(set), all);
  EXPECT_EQ(set.size(), 2000U);
}

}  // namespace
}  // namespace secprov::runtime
