#include "api/enum_list.h"

#include <gtest/gtest.h>

#include <span>
#include <stdexcept>
#include <vector>

namespace secprov::api {
namespace {

enum class Colour : std::uint8_t { Red, Green, Blue };
using Colours = EnumList<Colour, 3>;

TEST(EnumList, KeepsItsItemsInOrderInPlace) {
  const Colours colours{Colour::Blue, Colour::Red};
  ASSERT_EQ(colours.size(), 2u);
  EXPECT_EQ(colours[0], Colour::Blue);
  EXPECT_EQ(colours[1], Colour::Red);
  EXPECT_EQ(std::vector<Colour>(colours.begin(), colours.end()),
            (std::vector<Colour>{Colour::Blue, Colour::Red}));
  const std::span<const Colour> view = colours;
  EXPECT_EQ(view.size(), 2u);
  EXPECT_EQ(view.data(), colours.data());
  // No heap: the list is its own storage (three one-byte items and a count).
  EXPECT_LE(sizeof(Colours), 4u);
}

TEST(EnumList, ComparesByItemsAndOrderOnly) {
  Colours a{Colour::Red, Colour::Green};
  const Colours b{Colour::Red, Colour::Green};
  EXPECT_EQ(a, b);
  EXPECT_NE(a, (Colours{Colour::Green, Colour::Red}));
  EXPECT_NE(a, (Colours{Colour::Red}));
  // What a shorter list left behind in its storage does not count.
  Colours c{Colour::Red, Colour::Green, Colour::Blue};
  c = Colours{Colour::Red, Colour::Green};
  EXPECT_EQ(c, a);
  a.clear();
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a, Colours{});
}

TEST(EnumList, RefusesMoreThanItsBound) {
  Colours colours{Colour::Red, Colour::Green, Colour::Blue};
  EXPECT_THROW(colours.push_back(Colour::Red), std::length_error);
  EXPECT_EQ(colours.size(), 3u);
  const std::vector<Colour> four(4, Colour::Red);
  EXPECT_THROW(Colours(four.begin(), four.end()), std::length_error);
}

}  // namespace
}  // namespace secprov::api
