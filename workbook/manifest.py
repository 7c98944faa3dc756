"""The dataset manifest: one table shape for every data set the workbook reads.

Every loader (the synthetic corpus, Common Voice, a folder plus a CSV) produces a table
with at least these columns, one row per recording:

=============  ==============================================================
``path``       absolute path of the audio file
``speaker``    speaker id (clips of one speaker share it)
``age_group``  ordered category, Common Voice's spelling: teens, twenties,
               thirties, fourties, fifties, sixties, seventies, eighties, nineties
``age_years``  age in years where known (float, NaN otherwise)
``gender``     female, male or other (NaN where not given)
=============  ==============================================================

and, where the source knows it, ``language`` (the clip's language or speech community:
Common Voice's ``locale``, a folder+CSV column, the synthetic corpus's community), which
the language-grouped evaluation holds out whole; plus any source-specific columns (the
synthetic corpus adds its latent parameters).
:func:`validate_manifest` checks a table row by row and reports every bad row with the
reason, dropping rows that cannot be used and keeping rows that merely lack a label.

Notebook: every notebook, through :func:`workbook.datasets.load_dataset`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["AGE_GROUPS", "ManifestError", "age_group_from_years", "read_manifest"]

#: Age groups in order, spelled as Common Voice spells them ("fourties").
AGE_GROUPS: tuple[str, ...] = (
    "teens", "twenties", "thirties", "fourties", "fifties", "sixties", "seventies", "eighties", "nineties",
)
_AGE_GROUP_DTYPE = pd.CategoricalDtype(list(AGE_GROUPS), ordered=True)

#: Lower bound in years of each age group (teens start at 13, then decades).
AGE_GROUP_START_YEARS = {g: (13 if g == "teens" else 10 * (i + 1)) for i, g in enumerate(AGE_GROUPS)}

GENDERS: tuple[str, ...] = ("female", "male", "other")
_GENDER_DTYPE = pd.CategoricalDtype(list(GENDERS))

#: Spellings seen in the wild, mapped to the manifest's three values (None = not given).
_GENDER_SPELLINGS: dict[str, str | None] = {
    **dict.fromkeys(("female", "f", "woman", "female_feminine"), "female"),
    **dict.fromkeys(("male", "m", "man", "male_masculine"), "male"),
    **dict.fromkeys(("other", "intersex", "transgender", "non-binary", "non_binary", "nonbinary"), "other"),
    **dict.fromkeys(("", "nan", "none", "unknown", "do_not_wish_to_say"), None),
}

REQUIRED_COLUMNS: tuple[str, ...] = ("path", "speaker", "age_group", "age_years", "gender")


class ManifestError(ValueError):
    """A manifest cannot be used at all (for example a required column is missing)."""


def age_group_from_years(years) -> pd.Series | str | None:
    """Common Voice age group of an age in years (13-19 teens, 20-29 twenties, ...).

    Accepts a number or a Series; ages below 13 or from 100 on have no group (None / NaN).
    """
    if isinstance(years, pd.Series):
        values = pd.to_numeric(years, errors="coerce")
        idx = np.floor(values / 10) - 1
        idx = idx.where(values >= 13)
        out = pd.Series(pd.NA, index=years.index, dtype="object")
        ok = idx.notna() & (idx >= 0) & (idx < len(AGE_GROUPS))
        out[ok] = [AGE_GROUPS[int(i)] for i in idx[ok]]
        return out.astype(_AGE_GROUP_DTYPE)
    if years is None or (isinstance(years, float) and np.isnan(years)) or years < 13:
        return None
    i = int(years // 10) - 1
    return AGE_GROUPS[i] if 0 <= i < len(AGE_GROUPS) else None


def _normalise_gender(value) -> str | None:
    """Map a gender label to female / male / other, None if not given.

    Raises ``KeyError`` for a spelling the workbook does not know.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    key = str(value).strip().lower()
    if key not in _GENDER_SPELLINGS:
        raise KeyError(value)
    return _GENDER_SPELLINGS[key]


@dataclass
class ManifestValidation:
    """Result of :func:`validate_manifest`.

    ``manifest`` holds the usable rows with normalised dtypes; ``problems`` has one line per
    problem found (``row`` in the input, ``path``, ``column``, ``problem`` text, ``reason``
    as listed in :mod:`workbook.sources.report`, ``action``), where ``action`` is
    ``dropped`` (the row is not in ``manifest``) or ``kept``.
    """

    manifest: pd.DataFrame
    problems: pd.DataFrame
    n_input: int

    @property
    def n_dropped(self) -> int:
        """Input rows not in ``manifest``."""
        return self.n_input - len(self.manifest)


def validate_manifest(
    df: pd.DataFrame, *, check_files: bool = False, require_labels: bool = False
) -> ManifestValidation:
    """Check a manifest row by row; return the usable rows and a table of problems.

    Rows are dropped for: an empty path, a missing file (with ``check_files``), an
    unknown age group or gender, an age in years that is not a number or not 13-99, an
    age that contradicts its group, and a repeated path (the first one is kept). Rows
    without age or gender are kept and reported as ``kept`` (or dropped with
    ``require_labels``). A missing required column raises :class:`ManifestError`.
    ``source_file`` / ``source_line`` columns, when present, are copied into the problems.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ManifestError(
            f"manifest lacks required column(s) {missing}; it has {list(df.columns)}. "
            f"Every manifest needs {list(REQUIRED_COLUMNS)}."
        )
    df = df.reset_index(drop=True)
    problems: list[dict] = []
    drop = np.zeros(len(df), dtype=bool)
    trace = [c for c in ("source_file", "source_line") if c in df.columns]

    def report(i: int, column: str, problem: str, reason: str, dropped: bool) -> None:
        problems.append({"row": i, **{c: df.at[i, c] for c in trace}, "path": df.at[i, "path"], "column": column,
                         "problem": problem, "reason": reason, "action": "dropped" if dropped else "kept"})
        drop[i] |= dropped

    def where(i: int) -> str:
        if not trace:
            return f"row {i}"
        line = df.at[i, "source_line"]
        return str(df.at[i, "source_file"]) + ("" if pd.isna(line) else f" line {line}")

    paths = df["path"].astype("string")
    ages = pd.to_numeric(df["age_years"], errors="coerce")
    genders: list[str | None] = []
    groups: list[str | None] = []
    seen: dict[str, int] = {}
    for i in range(len(df)):
        p = paths.iat[i]
        if pd.isna(p) or not str(p).strip():
            report(i, "path", "empty path", "missing file", True)
        else:
            if p in seen:
                report(i, "path", f"duplicate: same file as {where(seen[p])}", "duplicate", True)
            else:
                seen[p] = i
            if check_files and not Path(p).is_file():
                report(i, "path", f"missing file: {p}", "missing file", True)

        spk = df.at[i, "speaker"]
        if pd.isna(spk) or not str(spk).strip():
            report(i, "speaker", "no speaker id: clips cannot be grouped by speaker", "no speaker id", False)

        raw_age = df.at[i, "age_years"]
        age = ages.iat[i]
        if not pd.isna(raw_age) and str(raw_age).strip() != "" and pd.isna(age):
            report(i, "age_years", f"unknown age: {raw_age!r} is not a number", "unknown label", True)
        elif not pd.isna(age) and not 13 <= age < 100:
            report(i, "age_years", f"unknown age: {age:g} years is outside 13-99", "unknown label", True)

        raw_group = df.at[i, "age_group"]
        group = None
        if not pd.isna(raw_group) and str(raw_group).strip():
            group = str(raw_group).strip().lower()
            if group not in AGE_GROUPS:
                report(i, "age_group", f"unknown age group: {raw_group!r}", "unknown label", True)
                group = None
            elif not pd.isna(age) and 13 <= age < 100 and age_group_from_years(age) != group:
                report(i, "age_group", f"unknown age: {age:g} years contradicts group {group!r}", "unknown label", True)
        elif not pd.isna(age) and 13 <= age < 100:
            group = age_group_from_years(age)
        groups.append(group)

        try:
            g = _normalise_gender(df.at[i, "gender"])
        except KeyError:
            report(i, "gender", f"unknown gender: {df.at[i, 'gender']!r}", "unknown label", True)
            g = None
        genders.append(g)

        if group is None and not drop[i]:
            report(i, "age_group", "no age label", "no age label", require_labels)
        if g is None and not drop[i]:
            report(i, "gender", "no gender label", "no gender label", require_labels)

    out = df.copy()
    out["path"] = paths.astype(object)
    out["speaker"] = df["speaker"].astype("string").astype(object)
    out["age_group"] = pd.Series(groups, index=df.index, dtype=object).astype(_AGE_GROUP_DTYPE)
    out["age_years"] = ages.astype(float)
    out["gender"] = pd.Series(genders, index=df.index, dtype=object).astype(_GENDER_DTYPE)
    out = out.loc[~drop].reset_index(drop=True)
    problems_df = pd.DataFrame(problems, columns=["row", *trace, "path", "column", "problem", "reason", "action"])
    return ManifestValidation(manifest=out, problems=problems_df, n_input=len(df))


def write_manifest(df: pd.DataFrame, csv_path: str | Path) -> Path:
    """Save a manifest as CSV with paths relative to the CSV's folder (portable data sets)."""
    csv_path = Path(csv_path)
    root = csv_path.parent.resolve()
    out = df.copy()
    out["path"] = [
        str(Path(p).resolve().relative_to(root)) if Path(p).is_absolute() else str(p)
        for p in out["path"]
    ]
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(csv_path, index=False, float_format="%.6g", lineterminator="\n")
    return csv_path


def read_manifest(csv_path: str | Path, *, check_files: bool = True) -> ManifestValidation:
    """Read a manifest CSV written by :func:`write_manifest` and validate it.

    Relative paths are resolved against the CSV's folder.
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise ManifestError(f"{csv_path}: manifest file not found")
    df = pd.read_csv(csv_path, keep_default_na=True)
    root = csv_path.parent.resolve()
    df["path"] = [str(p) if pd.isna(p) or Path(str(p)).is_absolute() else str(root / str(p)) for p in df["path"]]
    return validate_manifest(df, check_files=check_files)

