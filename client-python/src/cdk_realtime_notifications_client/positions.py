"""Where the client keeps each stream's last position, so that after a restart it asks the server
for what it missed (the offline inbox)."""
from __future__ import annotations

import json
import os
import tempfile
from typing import Dict, Optional, Protocol

from .streams import Position


class PositionStore(Protocol):
    def get(self, key: str) -> Optional[str]: ...

    def set(self, key: str, value: str) -> None: ...


class MemoryPositions:
    """Positions for the life of the process (the client keeps them across reconnects anyway)."""

    def __init__(self) -> None:
        self.entries: Dict[str, str] = {}

    def get(self, key: str) -> Optional[str]:
        return self.entries.get(key)

    def set(self, key: str, value: str) -> None:
        self.entries[key] = value


class FilePositions:
    """Positions in a JSON file (created with its folder), written atomically on each change, so
    a service or worker resumes its streams after a restart. One file per user or worker."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._values: Dict[str, str] = {}
        try:
            with open(self.path, encoding="utf-8") as f:
                loaded = json.load(f)
            if isinstance(loaded, dict):
                self._values = {str(k): str(v) for k, v in loaded.items()}
        except (OSError, ValueError):
            pass  # none yet, or unreadable: start from the current positions

    def get(self, key: str) -> Optional[str]:
        return self._values.get(key)

    def set(self, key: str, value: str) -> None:
        self._values[key] = value
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        fd, staging = tempfile.mkstemp(dir=folder, prefix=".positions-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self._values, f)
        os.replace(staging, self.path)  # never a half-written file


def read_position(store: Optional[PositionStore], key: str) -> Optional[Position]:
    if store is None:
        return None
    try:
        value = json.loads(store.get(key) or "null")
    except ValueError:
        return None
    if isinstance(value, dict) and isinstance(value.get("epoch"), str) and isinstance(value.get("seq"), int):
        return Position(value["epoch"], value["seq"])
    return None
