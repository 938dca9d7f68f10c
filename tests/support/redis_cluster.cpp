#include "support/redis_cluster.hpp"

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <unistd.h>

namespace notify::test {

namespace {

template <class T> std::vector<T> numbers_after(const std::string& line, std::size_t skip) {
   std::istringstream in(line.substr(skip, line.size() - skip - 1));
   std::vector<T> out;
   for (long long value = 0; in >> value;) {
      out.push_back(static_cast<T>(value));
   }
   return out;
}

} // namespace

std::string redis_cluster::script() {
   return std::string(NOTIFY_SOURCE_DIR) + "/scripts/redis-cluster";
}

redis_cluster::redis_cluster() {
   static int counter = 0;
   dir_ = std::filesystem::temp_directory_path() /
          ("notify-cluster-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
   std::filesystem::remove_all(dir_);
   auto const start = script() + " start " + dir_.string() + " > /dev/null";
   if (std::system(start.c_str()) != 0) {
      auto const logs = "tail -n 5 " + dir_.string() + "/*/redis.log >&2";
      [[maybe_unused]] auto const shown = std::system(logs.c_str());
      return;
   }
   read_env();
   started_ = ports_.size() == 6 && pids_.size() == 6;
}

void redis_cluster::read_env() {
   std::ifstream env(dir_ / "cluster.env");
   for (std::string line; std::getline(env, line);) {
      if (line.starts_with("NODE_PORTS=\"")) {
         ports_ = numbers_after<std::uint16_t>(line, 12);
      } else if (line.starts_with("NODE_PIDS=\"")) {
         pids_ = numbers_after<pid_t>(line, 11);
      }
   }
}

std::uint16_t redis_cluster::add_master() {
   auto const before = ports_.size();
   auto const add = script() + " add-master " + dir_.string() + " > /dev/null";
   if (std::system(add.c_str()) != 0) {
      return 0;
   }
   read_env();
   return ports_.size() == before + 1 && pids_.size() == ports_.size() ? ports_.back() : 0;
}

redis_cluster::~redis_cluster() {
   if (!dir_.empty() && std::filesystem::exists(dir_ / "cluster.env")) {
      auto const stop = script() + " stop " + dir_.string() + " > /dev/null 2>&1";
      [[maybe_unused]] auto const stopped = std::system(stop.c_str());
   }
   std::filesystem::remove_all(dir_);
}

std::string redis_cluster::seeds() const {
   std::string out;
   for (auto const port : ports_) {
      out += (out.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(port);
   }
   return out;
}

void redis_cluster::kill_node(std::size_t index) {
   ::kill(pids_.at(index), SIGKILL);
}

std::string redis_cluster::cli(std::uint16_t port, const std::string& arguments) {
   auto const command =
       "timeout 10 redis-cli -h 127.0.0.1 -p " + std::to_string(port) + " " + arguments + " 2>&1";
   std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
   std::string out;
   if (!pipe) {
      return out;
   }
   std::array<char, 4096> chunk{};
   for (std::size_t n = 0; (n = std::fread(chunk.data(), 1, chunk.size(), pipe.get())) > 0;) {
      out.append(chunk.data(), n);
   }
   while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
      out.pop_back();
   }
   return out;
}

} // namespace notify::test
