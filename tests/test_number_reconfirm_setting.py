"""NUMBER_RECONFIRM_DAYS: read from the environment, a whole number of at least one day."""
import pytest

import settings


def config_with(value):
    return settings.from_environment("/tmp", {"SECRET_KEY": "x", "NUMBER_RECONFIRM_DAYS": value})


def test_the_default_is_30_days():
    assert settings.from_environment("/tmp", {})["NUMBER_RECONFIRM_DAYS"] == 30


@pytest.mark.parametrize("value, message", [
    ("a month", "NUMBER_RECONFIRM_DAYS must be a whole number, not 'a month'."),
    ("0", "NUMBER_RECONFIRM_DAYS must be 1 or more, not 0."),
])
def test_a_bad_value_stops_the_app_with_a_clear_message(value, message):
    with pytest.raises(settings.SettingsError) as error:
        settings.validate(config_with(value))
    assert str(error.value) == message


def test_it_is_listed_in_env_example():
    assert "\nNUMBER_RECONFIRM_DAYS=30\n" in open(".env.example").read()
