"""Rate limits, read from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` on every request.

DRF's own classes copy the rates once at import, so a changed setting (an override in a test, a reload)
would go unnoticed. The counters live in the default cache: Redis when ``REDIS_URL`` is set (shared by all
processes), otherwise each process counts for itself.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings


class _CurrentRates:
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonRateThrottle(_CurrentRates, throttling.AnonRateThrottle):
    """Requests without a user, per client address."""


class UserRateThrottle(_CurrentRates, throttling.UserRateThrottle):
    """Requests of a signed-in user or token, per user."""
