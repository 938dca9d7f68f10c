#pragma once

// Exact delivery accounting: for each connection, which sequence numbers of the current phase it
// has received. One bit per (connection, message) it may receive, allocated when a phase starts,
// so recording a delivery never allocates.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace notify::bench {

enum class delivery_outcome {
   fresh,        ///< first arrival of this message at this connection
   duplicate,    ///< this connection has had it already
   out_of_phase, ///< not a message of the current phase (late from an earlier one, or bogus)
};

class delivery_tracker {
public:
   /// Forgets everything and starts a phase in which connection c may receive sequence numbers
   /// [first_seq, first_seq + seqs_per_connection). Throws std::length_error when that needs
   /// more than max_bits() bits.
   void start_phase(std::size_t connections, std::uint64_t first_seq,
                    std::uint64_t seqs_per_connection);

   delivery_outcome record(std::size_t connection, std::uint64_t seq);

   /// Bits a phase may use at most (256 MiB of memory).
   static constexpr std::uint64_t max_bits() { return std::uint64_t{1} << 31; }

private:
   std::vector<std::uint64_t> bits_;
   std::size_t connections_ = 0;
   std::uint64_t first_seq_ = 0;
   std::uint64_t seqs_per_connection_ = 0;
   std::size_t words_per_connection_ = 0;
};

} // namespace notify::bench
