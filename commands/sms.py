"""`flask --app app sms count TEXT`: how a text is counted and billed."""
import json

import click
from flask.cli import AppGroup

from sms import encoding

group = AppGroup("sms", help="How a text is counted and billed.")


def count_summary(counted):
    return {
        "encoding": counted.encoding,
        "characters": counted.characters,
        "parts": counted.parts,
        "replaced": [{"original": r.original, "replacement": r.replacement, "count": r.count}
                     for r in counted.replaced],
        "non_gsm": counted.non_gsm,
    }


@group.command("count")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="Print the count as JSON.")
def sms_count(text, as_json):
    """Count TEXT as the carrier bills it: encoding, characters, parts."""
    summary = count_summary(encoding.count(text))
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    click.echo(f"Encoding:   {summary['encoding']}")
    click.echo(f"Characters: {summary['characters']}")
    click.echo(f"Parts:      {summary['parts']}")
    replaced = ", ".join(f"{r['original']} -> {r['replacement'] or '(removed)'} (x{r['count']})"
                         for r in summary["replaced"])
    click.echo(f"Replaced:   {replaced or 'nothing'}")
    click.echo(f"Not GSM-7:  {' '.join(summary['non_gsm']) or 'nothing'}")
