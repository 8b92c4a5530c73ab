"""The service's settings the rules need (its name, zone, send window, how often a
number is re-checked), as one plain value built from the app's config."""
import re
from dataclasses import dataclass
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from .send_window import Window, parse_window
from .service_hours import ServiceHours, parse_hours


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
    hours: ServiceHours | None = None  # WORKING_HOURS: when staff are in to read replies
    out_of_hours_reply: bool = False
    unread_after_hours: int = 24
    welsh_standards: bool = False  # WELSH_LANGUAGE_STANDARDS
    welsh_first: bool = True  # BILINGUAL_ORDER cy-en

    @classmethod
    def from_config(cls, config):
        return cls(name=config["SERVICE_NAME"], zone=config["TIMEZONE"],
                   window=parse_window(config["SEND_WINDOW"]),
                   reconfirm_days=config["NUMBER_RECONFIRM_DAYS"],
                   morning=parse_morning(config.get("MORNING_TIME", "10:00")),
                   hours=parse_hours(config.get("WORKING_HOURS", "")),
                   out_of_hours_reply=bool(config.get("OUT_OF_HOURS_REPLY", False)),
                   unread_after_hours=int(config.get("UNREAD_REPLY_HOURS", 24)),
                   welsh_standards=bool(config.get("WELSH_LANGUAGE_STANDARDS", False)),
                   welsh_first=config.get("BILINGUAL_ORDER", "cy-en") != "en-cy")

    def today(self, now=None):
        """Today's date in the service's zone (cover runs on local days)."""
        return (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(self.zone)).date()

    def name_for(self, contact):
        """The service's name where the person is happy for texts to name it, else ''."""
        return self.name if contact["ok_to_name_service"] else ""
