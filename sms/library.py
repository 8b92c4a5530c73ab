"""The reviewed starter library: one TOML file per template in `templates_sms/`."""
import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

REQUIRED_FIELDS = ("id", "title", "situation", "strategy", "when_to_use", "body",
                   "reviewed_by", "reviewed_on")
SITUATIONS = {
    "went-quiet": "They went quiet or withdrew",
    "left-angry": "They left angry",
    "word-landed-badly": "A word landed badly",
    "ended-early-for-safety": "I ended the session early for safety",
    "missed-meeting": "They missed the next meeting after a difficult one",
    "i-got-it-wrong": "I got something wrong",
    "after-a-break": "Checking in after a break",
    "thank-you-for-telling-me": "Thanking them for telling me how they felt",
}
STRATEGIES = ("validate", "invite to talk", "own my part", "clarify a misunderstanding",
              "offer choice", "door stays open")


@dataclass(frozen=True)
class LibraryProblem:
    file: str
    field: str
    message: str

    def __str__(self):
        return f"{self.file}: {self.field}: {self.message}"


def read_template_file(path):
    """Return (fields, problems) for one TOML file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        return None, [LibraryProblem(path.name, "(file)", f"not valid TOML: {error}")]
    problems = [LibraryProblem(path.name, name, "is missing")
                for name in REQUIRED_FIELDS if not str(data.get(name, "")).strip()]
    if data.get("situation") and data["situation"] not in SITUATIONS:
        problems.append(LibraryProblem(path.name, "situation",
                                       f"{data['situation']!r} is not one of "
                                       + ", ".join(SITUATIONS)))
    if data.get("strategy") and data["strategy"] not in STRATEGIES:
        problems.append(LibraryProblem(path.name, "strategy",
                                       f"{data['strategy']!r} is not one of "
                                       + ", ".join(STRATEGIES)))
    if data.get("id") and data["id"] != path.stem:
        problems.append(LibraryProblem(path.name, "id",
                                       f"should match the file name ({path.stem!r})"))
    fields = {name: str(data.get(name, "")).strip() for name in REQUIRED_FIELDS}
    fields["notes"] = str(data.get("notes", "")).strip()
    fields["source_hash"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return fields, problems


def read_library(folder):
    """Every template file in `folder`, sorted by name: (templates, problems)."""
    templates, problems = [], []
    for path in sorted(Path(folder).glob("*.toml")):
        fields, file_problems = read_template_file(path)
        problems.extend(file_problems)
        if fields is not None and not file_problems:
            templates.append(fields)
    return templates, problems
