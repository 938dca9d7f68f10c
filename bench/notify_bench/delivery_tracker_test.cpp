#include "delivery_tracker.hpp"

#include <gtest/gtest.h>
#include <stdexcept>

namespace notify::bench {
namespace {

TEST(DeliveryTracker, CountsFirstArrivalsAndDuplicatesPerConnection) {
   delivery_tracker tracker;
   tracker.start_phase(3, 100, 130);
   EXPECT_EQ(tracker.record(0, 100), delivery_outcome::fresh);
   EXPECT_EQ(tracker.record(1, 100), delivery_outcome::fresh);
   EXPECT_EQ(tracker.record(0, 100), delivery_outcome::duplicate);
   EXPECT_EQ(tracker.record(2, 229), delivery_outcome::fresh);
   EXPECT_EQ(tracker.record(2, 229), delivery_outcome::duplicate);
   EXPECT_EQ(tracker.record(2, 163), delivery_outcome::fresh); // second word
   EXPECT_EQ(tracker.record(1, 163), delivery_outcome::fresh);
}

TEST(DeliveryTracker, RejectsWhatIsNotOfThePhase) {
   delivery_tracker tracker;
   tracker.start_phase(2, 10, 5);
   EXPECT_EQ(tracker.record(0, 9), delivery_outcome::out_of_phase);
   EXPECT_EQ(tracker.record(0, 15), delivery_outcome::out_of_phase);
   EXPECT_EQ(tracker.record(2, 10), delivery_outcome::out_of_phase);
   EXPECT_EQ(tracker.record(1, 14), delivery_outcome::fresh);
}

TEST(DeliveryTracker, NewPhaseForgetsTheOldOne) {
   delivery_tracker tracker;
   tracker.start_phase(1, 0, 4);
   EXPECT_EQ(tracker.record(0, 1), delivery_outcome::fresh);
   tracker.start_phase(1, 0, 4);
   EXPECT_EQ(tracker.record(0, 1), delivery_outcome::fresh);
}

TEST(DeliveryTracker, RefusesPhasesTooLargeToTrack) {
   delivery_tracker tracker;
   EXPECT_THROW(tracker.start_phase(1'000'000, 0, 1'000'000), std::length_error);
}

} // namespace
} // namespace notify::bench
