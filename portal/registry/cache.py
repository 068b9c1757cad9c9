"""A small in-process TTL cache of persons, bounded in size (least recently used goes).

Registry data changes rarely, and on opening day the same parents are looked up
again and again within minutes (sign-in, /me, the school list, the
application). A short TTL keeps a changed record from living long here; the
bound keeps memory flat however many people sign in. Only found persons are
cached: a "not found" is always asked again, so a newly registered child shows
up at once.
"""
import threading
import time
from collections import OrderedDict


class PersonCache:
    def __init__(self, *, ttl: float, size: int, clock=time.monotonic):
        self.ttl = float(ttl)
        self.size = int(size)
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.ttl > 0 and self.size > 0

    def get(self, pin):
        if not self.enabled:
            return None
        with self._lock:
            entry = self._entries.get(pin)
            if entry is None:
                return None
            expires, person = entry
            if expires <= self._clock():
                del self._entries[pin]
                return None
            self._entries.move_to_end(pin)
            return person

    def put(self, person) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._entries[person.pin] = (self._clock() + self.ttl, person)
            self._entries.move_to_end(person.pin)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self):
        with self._lock:
            return len(self._entries)
