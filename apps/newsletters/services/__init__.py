from apps.newsletters.services.delivery import (
    BatchResult,
    Outcome,
    deliveries_fail,
    deliveries_send,
    delivery_send,
    is_transient,
    newsletters_start,
)
from apps.newsletters.services.subscription import is_subscribed, newsletter_unsubscribe, subscribers, unsubscribed

__all__ = [
    "BatchResult",
    "Outcome",
    "deliveries_fail",
    "deliveries_send",
    "delivery_send",
    "is_subscribed",
    "is_transient",
    "newsletter_unsubscribe",
    "newsletters_start",
    "subscribers",
    "unsubscribed",
]
