#!/usr/bin/python3
"""Publishes to notify-gateway with redis-py, the way docs/operations.md (History, Publishing)
shows it, for tests/integration/publisher_clients_test.cpp.

  publish_with_redis_py.py --port 6379 --user 42 [--host 127.0.0.1]

Publishes, in this order, each call waiting for Redis' answer before the next one:
  1. r.fcall('notify_publish', 1, 'user:<user>', '{"n":0}', 'order-17-shipped')
  2. the same call again: a publisher's retry with the same message id
  3. r.fcall('notify_publish', 1, 'global', '{"n":1}')
  4. r.fcall('notify_publish', 1, 'user:<user>', '{"n":2}')
  5. r.publish('user:<user>:notifications', '{"plain":true}')
and prints one JSON line with what Redis answered, for the test to compare with what the
WebSocket clients received:
  {"first_id": ..., "retry_id": ..., "global_id": ..., "second_id": ..., "plain_receivers": ...}

The test checks the results, not this script: it exits 0 whenever every call was answered.
Run it with Debian's /usr/bin/python3 (package python3-redis).
"""

import argparse
import json

import redis


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    options = parser.parse_args()

    # A timeout so that a Redis that does not answer fails the test instead of hanging it.
    r = redis.Redis(host=options.host, port=options.port, decode_responses=True,
                    socket_timeout=10, socket_connect_timeout=10)
    user_key = f"user:{options.user}"

    first_id = r.fcall("notify_publish", 1, user_key, json.dumps({"n": 0}), "order-17-shipped")
    retry_id = r.fcall("notify_publish", 1, user_key, json.dumps({"n": 0}), "order-17-shipped")
    global_id = r.fcall("notify_publish", 1, "global", json.dumps({"n": 1}))
    second_id = r.fcall("notify_publish", 1, user_key, json.dumps({"n": 2}))
    plain_receivers = r.publish(f"{user_key}:notifications", json.dumps({"plain": True}))

    print(json.dumps({
        "first_id": first_id,
        "retry_id": retry_id,
        "global_id": global_id,
        "second_id": second_id,
        "plain_receivers": plain_receivers,
    }))


if __name__ == "__main__":
    main()
