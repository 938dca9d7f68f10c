#include "notify/server/bounded_address_table.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <string>

namespace {

using notify::server::bounded_address_table;
using clock_type = bounded_address_table<int>::clock;
using namespace std::chrono_literals;

auto const fresh = [] { return 0; };
/// Records holding 0 are worthless, as a refilled bucket or an expired lockout is.
auto const zero_is_stale = [](int value, clock_type::time_point) { return value == 0; };

TEST(bounded_address_table, adds_an_address_once_and_finds_it_again) {
   bounded_address_table<int> table(4);
   auto const now = clock_type::now();
   auto* const first = table.find_or_add("192.0.2.1", now, fresh, zero_is_stale);
   ASSERT_NE(first, nullptr);
   *first = 7;
   EXPECT_EQ(table.find_or_add("192.0.2.1", now, fresh, zero_is_stale), first);
   ASSERT_NE(table.find("192.0.2.1"), nullptr);
   EXPECT_EQ(*table.find("192.0.2.1"), 7);
   EXPECT_EQ(table.find("192.0.2.2"), nullptr);
   EXPECT_EQ(table.size(), 1U);
}

TEST(bounded_address_table, a_full_table_of_live_records_takes_no_new_address) {
   bounded_address_table<int> table(2);
   auto const now = clock_type::now();
   *table.find_or_add("a", now, fresh, zero_is_stale) = 1;
   *table.find_or_add("b", now, fresh, zero_is_stale) = 1;
   EXPECT_EQ(table.find_or_add("c", now, fresh, zero_is_stale), nullptr);
   EXPECT_EQ(table.size(), 2U);
   EXPECT_NE(table.find_or_add("a", now, fresh, zero_is_stale), nullptr)
       << "a tracked address is still found when the table is full";
}

TEST(bounded_address_table, a_full_table_drops_stale_records_at_most_once_a_second) {
   bounded_address_table<int> table(2);
   auto const t0 = clock_type::now();
   *table.find_or_add("a", t0, fresh, zero_is_stale) = 1;
   *table.find_or_add("b", t0, fresh, zero_is_stale) = 0; // stale
   auto* const c = table.find_or_add("c", t0, fresh, zero_is_stale);
   ASSERT_NE(c, nullptr) << "the sweep made room";
   *c = 0; // stale too, but the next sweep is not due yet
   EXPECT_EQ(table.find("b"), nullptr);
   EXPECT_EQ(table.find_or_add("d", t0 + 500ms, fresh, zero_is_stale), nullptr);
   EXPECT_NE(table.find_or_add("d", t0 + 1s, fresh, zero_is_stale), nullptr);
   EXPECT_EQ(table.find("c"), nullptr);
   EXPECT_EQ(table.size(), 2U);
}

TEST(bounded_address_table, erase_forgets_an_address) {
   bounded_address_table<int> table(2);
   auto const now = clock_type::now();
   *table.find_or_add("a", now, fresh, zero_is_stale) = 1;
   table.erase("a");
   table.erase("never-seen");
   EXPECT_EQ(table.find("a"), nullptr);
   EXPECT_EQ(table.size(), 0U);
}

} // namespace
