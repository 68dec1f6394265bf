from prometheus_client import Counter, Gauge

messages_sent = Counter("marketplace_chat_messages", "Chat messages stored (REST and sockets).")

# livesum: in multiprocess mode, the open sockets of the workers that are running, summed.
connections_open = Gauge(
    "marketplace_chat_connections_open",
    "WebSocket connections open.",
    multiprocess_mode="livesum",
)
