#include "api/boxed.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "api/securityprofile.h"

namespace secprov::api {
namespace {

struct Section {
  std::string name;
  std::vector<int> values;
  friend bool operator==(const Section&, const Section&) = default;
};

TEST(Boxed, IsAnOptionalValueHeldOutOfLine) {
  Boxed<Section> absent;
  EXPECT_FALSE(absent.has_value());
  EXPECT_FALSE(absent);
  EXPECT_TRUE(absent == std::nullopt);
  EXPECT_THROW((void)absent.value(), std::bad_optional_access);

  Boxed<Section> set = Section{"a", {1, 2}};
  ASSERT_TRUE(set);
  EXPECT_EQ(set->name, "a");
  EXPECT_EQ((*set).values.size(), 2u);
  EXPECT_EQ(sizeof(set), sizeof(void*));  // the point: one pointer, whatever the section's size
}

TEST(Boxed, CopiesAreValuesOfTheirOwn) {
  Boxed<Section> original = Section{"a", {1}};
  Boxed<Section> copy = original;
  EXPECT_TRUE(copy == original);
  copy->values.push_back(2);
  EXPECT_EQ(original->values.size(), 1u);  // deep copy: the original is unchanged
  EXPECT_FALSE(copy == original);
  Boxed<Section> assigned;
  assigned = original;
  EXPECT_TRUE(assigned == original);
  assigned = std::nullopt;
  EXPECT_FALSE(assigned);
  EXPECT_FALSE(assigned == original);
  EXPECT_TRUE(assigned == Boxed<Section>());
  assigned.emplace(Section{"b", {}});
  EXPECT_EQ(assigned.value().name, "b");
  assigned.reset();
  EXPECT_FALSE(assigned.has_value());
  const Boxed<Section> from_optional = std::optional<Section>(Section{"c", {}});
  EXPECT_EQ(from_optional->name, "c");
  EXPECT_FALSE(Boxed<Section>(std::optional<Section>()));
}

// The cached profiles are smaller by the sections most profiles leave out.
TEST(Boxed, TheRarelySetSectionsOfASpecCostAPointerEach) {
  EXPECT_EQ(sizeof(SecurityProfileSpec::enabler), sizeof(void*));
  EXPECT_EQ(sizeof(SecurityProfileSpec::n32), sizeof(void*));
  EXPECT_EQ(sizeof(SecurityProfileSpec::consistency), sizeof(void*));
  EXPECT_EQ(sizeof(SbiSpec::oauth2), sizeof(void*));
}

}  // namespace
}  // namespace secprov::api
