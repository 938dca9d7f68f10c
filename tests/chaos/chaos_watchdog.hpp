#pragma once

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <thread>

namespace notify::chaos {

/// Past a chaos run's hard deadline, kills the redis-server and gateway it started (by PID, after
/// SIGCONT in case they were frozen) and exits with status 3: a run that hangs must neither hold
/// CI nor leave processes behind. Keep one with static storage: its thread may outlive main's
/// locals.
class watchdog {
public:
   using clock_type = std::chrono::steady_clock;

   watchdog(std::string_view run_name, clock_type::time_point started,
            std::chrono::seconds hard_deadline)
       : run_name_(run_name)
       , started_(started)
       , hard_deadline_(hard_deadline) {}

   void watch_redis(pid_t pid) { redis_pid_ = pid; }
   void watch_gateway(pid_t pid) { gateway_pid_ = pid; }
   /// The run ended (well or not) by itself: stand down.
   void finish() { finished_ = true; }

   void start() {
      std::thread([this] {
         while (!finished_.load()) {
            if (clock_type::now() - started_ > hard_deadline_) {
               std::cerr << run_name_ << ": hard deadline of " << hard_deadline_.count()
                         << " s reached; killing the gateway and redis-server\n";
               for (pid_t const pid : {gateway_pid_.load(), redis_pid_.load()}) {
                  if (pid > 0) {
                     ::kill(pid, SIGCONT);
                     ::kill(pid, SIGKILL);
                  }
               }
               std::_Exit(3);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
         }
      }).detach();
   }

private:
   std::string run_name_;
   clock_type::time_point started_;
   std::chrono::seconds hard_deadline_;
   std::atomic<pid_t> redis_pid_{0};
   std::atomic<pid_t> gateway_pid_{0};
   std::atomic<bool> finished_{false};
};

} // namespace notify::chaos
