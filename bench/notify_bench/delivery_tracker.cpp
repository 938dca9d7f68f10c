#include "delivery_tracker.hpp"

#include <stdexcept>

namespace notify::bench {

void delivery_tracker::start_phase(std::size_t connections, std::uint64_t first_seq,
                                   std::uint64_t seqs_per_connection) {
   std::uint64_t const words = (seqs_per_connection + 63) / 64;
   if (connections != 0 && words > max_bits() / 64 / connections) {
      throw std::length_error("a phase of " + std::to_string(connections) + " connections x " +
                              std::to_string(seqs_per_connection) +
                              " messages is too large to track (more than 2^31 deliveries)");
   }
   connections_ = connections;
   first_seq_ = first_seq;
   seqs_per_connection_ = seqs_per_connection;
   words_per_connection_ = static_cast<std::size_t>(words);
   bits_.assign(connections * words_per_connection_, 0);
}

delivery_outcome delivery_tracker::record(std::size_t connection, std::uint64_t seq) {
   if (connection >= connections_ || seq < first_seq_ || seq - first_seq_ >= seqs_per_connection_) {
      return delivery_outcome::out_of_phase;
   }
   std::uint64_t const index = seq - first_seq_;
   std::uint64_t& word = bits_[connection * words_per_connection_ + index / 64];
   std::uint64_t const bit = std::uint64_t{1} << (index % 64);
   if ((word & bit) != 0) {
      return delivery_outcome::duplicate;
   }
   word |= bit;
   return delivery_outcome::fresh;
}

} // namespace notify::bench
