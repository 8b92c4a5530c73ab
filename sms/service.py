"""The service's settings the rules need (its name, zone, send window, how often a
number is re-checked), as one plain value built from the app's config."""
import re
from dataclasses import dataclass
from datetime import time

from .send_window import Window, parse_window


def parse_morning(text):
    """'10:00' -> time(10, 0); ValueError when it is not a time of day like 10:00."""
    text = str(text).strip()
    if not re.fullmatch(r"\d{2}:\d{2}", text):
        raise ValueError(f"{text!r} is not a time like 10:00")
    return time.fromisoformat(text)


@dataclass(frozen=True)
class Service:
    name: str
    zone: str
    window: Window
    reconfirm_days: int = 30
    morning: time = time(10, 0)  # what "tomorrow morning" means (MORNING_TIME)

    @classmethod
    def from_config(cls, config):
        return cls(name=config["SERVICE_NAME"], zone=config["TIMEZONE"],
                   window=parse_window(config["SEND_WINDOW"]),
                   reconfirm_days=config["NUMBER_RECONFIRM_DAYS"],
                   morning=parse_morning(config.get("MORNING_TIME", "10:00")))

    def name_for(self, contact):
        """The service's name where the person is happy for texts to name it, else ''."""
        return self.name if contact["ok_to_name_service"] else ""
