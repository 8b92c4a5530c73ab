"""Counting a text the way the carrier bills it: encoding, characters and parts."""
import pytest

from sms.encoding import Replacement, count

EMOJI = "\U0001F60A"  # 😊: two UTF-16 code units


@pytest.mark.parametrize("text, encoding, characters, parts", [
    # GSM-7: 160 in one part, 153 per part after that.
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    # Extension characters count as two septets.
    ("a" * 158 + "€", "GSM-7", 160, 1),
    ("a" * 159 + "€", "GSM-7", 161, 2),
    ("{}[]~|^\\", "GSM-7", 16, 1),
    # An escape pair is never split: with 152 in part one, € starts part two, and the
    # 152 after it spill into a third part (a naive 306/153 would say 2).
    ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),
    ("a" * 151 + "€" + "a" * 153, "GSM-7", 306, 2),
    # UCS-2: 70 in one part, 67 per part after that.
    ("ê" * 70, "UCS-2", 70, 1),
    ("ê" * 71, "UCS-2", 71, 2),
    ("ê" * 134, "UCS-2", 134, 2),
    ("ê" * 135, "UCS-2", 135, 3),
    # An emoji is two code units, and a surrogate pair is never split: after 66 units
    # the emoji starts part two, so 134 units take 3 parts, not 2.
    ("ê" * 66 + EMOJI + "ê" * 66, "UCS-2", 134, 3),
    ("ê" * 65 + EMOJI + "ê" * 67, "UCS-2", 134, 2),
    ("ê" * 68 + EMOJI, "UCS-2", 70, 1),
    ("ê" * 69 + EMOJI, "UCS-2", 71, 2),
    # é is in the GSM-7 basic table; ê, ł and emoji are not.
    ("Café é", "GSM-7", 6, 1),
    ("Crêpe", "UCS-2", 5, 1),
    ("", "GSM-7", 0, 1),
])
def test_parts_at_every_boundary(text, encoding, characters, parts):
    counted = count(text)
    assert (counted.encoding, counted.characters, counted.parts) == (encoding, characters, parts)


@pytest.mark.parametrize("typed, sent, replaced", [
    ("it\u2019s", "it's", [Replacement("\u2019", "'", 1)]),
    ("\u201cfine\u201d", '"fine"', [Replacement("\u201c", '"', 1), Replacement("\u201d", '"', 1)]),
    ("now \u2013 or \u2014 later", "now - or - later",
     [Replacement("\u2013", "-", 1), Replacement("\u2014", "-", 1)]),
    ("wait\u2026", "wait...", [Replacement("\u2026", "...", 1)]),
    ("two\u00a0words", "two words", [Replacement("\u00a0", " ", 1)]),
    ("zero\u200bwidth\u200d", "zerowidth", [Replacement("\u200b", "", 1),
                                             Replacement("\u200d", "", 1)]),
    ("I\u2019m sure it\u2019s", "I'm sure it's", [Replacement("\u2019", "'", 2)]),
    ("plain text", "plain text", []),
])
def test_smart_encoding_replaces_look_alikes_and_says_what_it_replaced(typed, sent, replaced):
    counted = count(typed)
    assert counted.text == sent
    assert counted.replaced == replaced
    assert counted.encoding == "GSM-7"


def test_one_curly_quote_no_longer_turns_a_text_into_three_parts():
    text = "a" * 150 + "\u2019" + "a" * 9
    counted = count(text)
    assert (counted.encoding, counted.parts) == ("GSM-7", 1)


@pytest.mark.parametrize("text, non_gsm", [
    ("Crêpe", ["ê"]),
    ("Paweł " + EMOJI, ["ł", EMOJI]),
    ("Zoë", ["ë"]),
    ("Renée", []),
])
def test_characters_outside_gsm7_are_named(text, non_gsm):
    assert count(text).non_gsm == non_gsm


@pytest.mark.parametrize("typed, sent", [
    ("Thinking of you both \U0001f469\u200d\U0001f467", "Thinking of you both \U0001f469\u200d\U0001f467"),
    ("It\u2019s ok \U0001f469\u200d\U0001f467", "It's ok \U0001f469\u200d\U0001f467"),
    ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0645", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0645"),
])
def test_a_joiner_is_kept_in_a_text_that_stays_ucs2_anyway(typed, sent):
    """Removing the zero-width joiner would split 👩‍👧 into 👩👧 (and a non-joiner
    reshapes Persian) while saving nothing: the text is UCS-2 either way."""
    counted = count(typed)
    assert (counted.text, counted.encoding) == (sent, "UCS-2")
    assert all(replacement.original not in "\u200d\u200c" for replacement in counted.replaced)
