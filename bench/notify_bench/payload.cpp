#include "payload.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace notify::bench {

namespace {

constexpr std::string_view seq_key = "\"seq\":";
constexpr std::string_view ts_key = "\"ts\":";
constexpr std::string_view user_key = "\"u\":\"";

char* put(char* out, std::string_view text) {
   std::memcpy(out, text.data(), text.size());
   return out + text.size();
}

char* put(char* out, char* end, std::uint64_t value) {
   return std::to_chars(out, end, value).ptr;
}

/// The unsigned decimal right after `key`; nullopt when the key is absent or no digits follow.
std::optional<std::uint64_t> number_after(std::string_view text, std::string_view key,
                                          std::size_t& end_offset) {
   auto const at = text.find(key);
   if (at == std::string_view::npos) {
      return std::nullopt;
   }
   char const* first = text.data() + at + key.size();
   char const* last = text.data() + text.size();
   std::uint64_t value = 0;
   auto const [end, error] = std::from_chars(first, last, value);
   if (error != std::errc() || end == first) {
      return std::nullopt;
   }
   end_offset = static_cast<std::size_t>(end - text.data());
   return value;
}

} // namespace

std::size_t payload_builder::prepare(std::uint64_t seq, std::uint64_t ts_ns,
                                     std::optional<std::uint64_t> user) {
   char* const end = head_ + head_capacity;
   char* out = put(head_, "{\"seq\":");
   out = put(out, end, seq);
   out = put(out, ",\"ts\":");
   out = put(out, end, ts_ns);
   if (user) {
      out = put(out, ",\"u\":\"");
      out = put(out, end, *user);
      out = put(out, "\"");
   }
   out = put(out, ",\"pad\":\"");
   head_bytes_ = static_cast<std::size_t>(out - head_);
   std::size_t const natural = head_bytes_ + tail.size();
   pad_bytes_ = payload_bytes_ > natural ? payload_bytes_ - natural : 0;
   return natural + pad_bytes_;
}

void payload_builder::append_to(std::string& out) const {
   out.append(head_, head_bytes_);
   out.append(pad_bytes_, 'x');
   out.append(tail);
}

namespace {

/// Our own layout, as published: {"seq":N,"ts":T[,"u":"U"],... Reads it without searching;
/// false when the payload is laid out differently (then the general scan runs).
bool scan_own_layout(std::string_view payload, notification_fields& fields) {
   constexpr std::string_view seq_prefix = "{\"seq\":";
   constexpr std::string_view ts_infix = ",\"ts\":";
   constexpr std::string_view user_infix = ",\"u\":\"";
   if (!payload.starts_with(seq_prefix)) {
      return false;
   }
   char const* at = payload.data() + seq_prefix.size();
   char const* const last = payload.data() + payload.size();
   auto const seq = std::from_chars(at, last, fields.seq);
   if (seq.ec != std::errc() || seq.ptr == at ||
       !std::string_view(seq.ptr, static_cast<std::size_t>(last - seq.ptr)).starts_with(ts_infix)) {
      return false;
   }
   at = seq.ptr + ts_infix.size();
   auto const ts = std::from_chars(at, last, fields.ts_ns);
   if (ts.ec != std::errc() || ts.ptr == at) {
      return false;
   }
   std::string_view const rest(ts.ptr, static_cast<std::size_t>(last - ts.ptr));
   if (!rest.starts_with(user_infix)) {
      // No "u" right here: it may still come later in a re-serialized payload.
      return rest.find(user_key) == std::string_view::npos;
   }
   fields.has_user = true;
   at = ts.ptr + user_infix.size();
   auto const user = std::from_chars(at, last, fields.user);
   fields.user_valid =
       user.ec == std::errc() && user.ptr != at && user.ptr != last && *user.ptr == '"';
   return true;
}

} // namespace

std::optional<notification_fields> scan_notification(std::string_view payload) {
   notification_fields fields;
   if (scan_own_layout(payload, fields)) {
      return fields;
   }
   fields = notification_fields{};
   std::size_t after = 0;
   auto const seq = number_after(payload, seq_key, after);
   if (!seq) {
      return std::nullopt;
   }
   // Our own payloads keep the order seq, ts, u; start there, fall back to the whole text.
   std::string_view rest = payload.substr(after);
   std::size_t ts_end = 0;
   auto ts = number_after(rest, ts_key, ts_end);
   if (!ts) {
      rest = payload;
      ts = number_after(rest, ts_key, ts_end);
      if (!ts) {
         return std::nullopt;
      }
   }
   fields.seq = *seq;
   fields.ts_ns = *ts;
   auto user_at = rest.find(user_key, ts_end);
   if (user_at == std::string_view::npos) {
      user_at = payload.find(user_key);
      rest = payload;
   }
   if (user_at != std::string_view::npos) {
      fields.has_user = true;
      char const* first = rest.data() + user_at + user_key.size();
      char const* last = rest.data() + rest.size();
      auto const [end, error] = std::from_chars(first, last, fields.user);
      fields.user_valid = error == std::errc() && end != first && end != last && *end == '"';
   }
   return fields;
}

} // namespace notify::bench
