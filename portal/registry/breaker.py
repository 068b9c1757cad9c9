"""A thread-safe circuit breaker.

closed: calls go through; `failures` failed calls in a row open it.
open: calls are refused at once (no socket, no wait) for `reset` seconds.
half-open: then exactly one call goes through as a probe; its success closes
the breaker, its failure opens it for another `reset` seconds. Calls arriving
while the probe is out are refused, so a struggling registry gets one request,
not a stampede from every worker thread.
"""
import logging
import threading
import time

log = logging.getLogger(__name__)

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class CircuitBreaker:
    def __init__(self, *, failures: int, reset: float, clock=time.monotonic, name="registry"):
        self.failures = max(1, int(failures))
        self.reset = float(reset)
        self._clock = clock
        self._name = name
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failed = 0
        self._opened_at = 0.0
        self._probe_out = False

    @property
    def state(self) -> str:
        with self._lock:
            return self._state

    def allow(self) -> bool:
        """May a call go out now? Every True must be followed by one `record_*`."""
        with self._lock:
            if self._state == CLOSED:
                return True
            if self._state == OPEN and self._clock() - self._opened_at >= self.reset:
                self._state = HALF_OPEN
                self._probe_out = False
                log.info("%s circuit half-open: letting one probe through", self._name)
            if self._state == HALF_OPEN and not self._probe_out:
                self._probe_out = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            if self._state != CLOSED:
                log.info("%s circuit closed: the registry answered again", self._name)
            self._state = CLOSED
            self._failed = 0
            self._probe_out = False

    def record_failure(self) -> None:
        with self._lock:
            self._failed += 1
            if self._state == HALF_OPEN or (self._state == CLOSED and self._failed >= self.failures):
                if self._state == CLOSED:
                    log.warning(
                        "%s circuit open after %d failures in a row; refusing calls for %.1fs",
                        self._name, self._failed, self.reset,
                    )
                else:
                    log.warning("%s circuit open again: the probe failed", self._name)
                self._state = OPEN
                self._opened_at = self._clock()
                self._probe_out = False
