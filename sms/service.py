"""The service's settings the rules need (its name, zone, send window, how often a
number is re-checked), as one plain value built from the app's config."""
from dataclasses import dataclass

from .send_window import Window, parse_window


@dataclass(frozen=True)
class Service:
    name: str
    zone: str
    window: Window
    reconfirm_days: int = 30

    @classmethod
    def from_config(cls, config):
        return cls(name=config["SERVICE_NAME"], zone=config["TIMEZONE"],
                   window=parse_window(config["SEND_WINDOW"]),
                   reconfirm_days=config["NUMBER_RECONFIRM_DAYS"])

    def name_for(self, contact):
        """The service's name where the person is happy for texts to name it, else ''."""
        return self.name if contact["ok_to_name_service"] else ""
