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

plus any source-specific columns (the synthetic corpus adds its latent parameters).
:func:`validate_manifest` checks a table row by row and reports every bad row with the
reason, dropping rows that cannot be used and keeping rows that merely lack a label.

Notebook: 01_signal_anatomy (and every notebook that loads a data set).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: Age groups in order, spelled as Common Voice spells them ("fourties").
AGE_GROUPS: tuple[str, ...] = (
    "teens",
    "twenties",
    "thirties",
    "fourties",
    "fifties",
    "sixties",
    "seventies",
    "eighties",
    "nineties",
)
AGE_GROUP_DTYPE = pd.CategoricalDtype(list(AGE_GROUPS), ordered=True)

#: Lower bound in years of each age group (teens start at 13, then decades).
AGE_GROUP_START_YEARS = {g: (13 if g == "teens" else 10 * (i + 1)) for i, g in enumerate(AGE_GROUPS)}

GENDERS: tuple[str, ...] = ("female", "male", "other")
GENDER_DTYPE = pd.CategoricalDtype(list(GENDERS))

#: Spellings seen in the wild, mapped to the manifest's three values (None = not given).
GENDER_SPELLINGS: dict[str, str | None] = {
    "female": "female",
    "f": "female",
    "woman": "female",
    "female_feminine": "female",
    "male": "male",
    "m": "male",
    "man": "male",
    "male_masculine": "male",
    "other": "other",
    "intersex": "other",
    "transgender": "other",
    "non-binary": "other",
    "non_binary": "other",
    "nonbinary": "other",
    "": None,
    "nan": None,
    "none": None,
    "unknown": None,
    "do_not_wish_to_say": None,
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
        return out.astype(AGE_GROUP_DTYPE)
    if years is None or (isinstance(years, float) and np.isnan(years)) or years < 13:
        return None
    i = int(years // 10) - 1
    return AGE_GROUPS[i] if 0 <= i < len(AGE_GROUPS) else None


def normalise_gender(value) -> str | None:
    """Map a gender label to female / male / other, None if not given.

    Raises ``KeyError`` for a spelling the workbook does not know.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    key = str(value).strip().lower()
    if key not in GENDER_SPELLINGS:
        raise KeyError(value)
    return GENDER_SPELLINGS[key]


@dataclass
class ManifestValidation:
    """Result of :func:`validate_manifest`.

    ``manifest`` holds the usable rows with normalised dtypes; ``problems`` has one line per
    problem found (``row`` in the input, ``path``, ``column``, ``problem``, ``action``),
    where ``action`` is ``dropped`` (the row is not in ``manifest``) or ``kept``.
    """

    manifest: pd.DataFrame
    problems: pd.DataFrame
    n_input: int

    @property
    def n_dropped(self) -> int:
        return self.n_input - len(self.manifest)

    def summary(self) -> str:
        """A few lines for a notebook or a terminal."""
        lines = [f"{self.n_input} rows in, {len(self.manifest)} kept, {self.n_dropped} dropped"]
        if len(self.problems):
            counts = self.problems.groupby(["action", "problem_kind"]).size()
            for (action, kind), n in counts.items():
                lines.append(f"  {action:7s} {n:6d}  {kind}")
        return "\n".join(lines)


def _problem_kind(text: str) -> str:
    return text.split(":")[0]


def validate_manifest(
    df: pd.DataFrame,
    *,
    check_files: bool = False,
    require_labels: bool = False,
) -> ManifestValidation:
    """Check a manifest row by row; return the usable rows and a table of problems.

    Rows are dropped for: an empty path, a missing file (with ``check_files``), an
    unknown age group or gender, an age in years that is not a number or not 13-99, an
    age that contradicts its group, and a repeated path (the first one is kept). Rows
    without age or gender are kept and reported as ``kept`` (or dropped with
    ``require_labels``). A missing required column raises :class:`ManifestError`.
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

    def report(i: int, column: str, problem: str, dropped: bool) -> None:
        problems.append(
            {
                "row": i,
                "path": df.at[i, "path"],
                "column": column,
                "problem": problem,
                "problem_kind": _problem_kind(problem),
                "action": "dropped" if dropped else "kept",
            }
        )
        if dropped:
            drop[i] = True

    paths = df["path"].astype("string")
    ages = pd.to_numeric(df["age_years"], errors="coerce")
    genders: list[str | None] = []
    groups: list[str | None] = []
    seen: dict[str, int] = {}
    for i in range(len(df)):
        p = paths.iat[i]
        if pd.isna(p) or not str(p).strip():
            report(i, "path", "empty path", True)
        else:
            if p in seen:
                report(i, "path", f"duplicate: same path as row {seen[p]}", True)
            else:
                seen[p] = i
            if check_files and not Path(p).is_file():
                report(i, "path", f"missing file: {p}", True)

        spk = df.at[i, "speaker"]
        if pd.isna(spk) or not str(spk).strip():
            report(i, "speaker", "no speaker id: clips cannot be grouped by speaker", False)

        raw_age = df.at[i, "age_years"]
        age = ages.iat[i]
        if not pd.isna(raw_age) and str(raw_age).strip() != "" and pd.isna(age):
            report(i, "age_years", f"unknown age: {raw_age!r} is not a number", True)
        elif not pd.isna(age) and not 13 <= age < 100:
            report(i, "age_years", f"unknown age: {age:g} years is outside 13-99", True)

        raw_group = df.at[i, "age_group"]
        group = None
        if not pd.isna(raw_group) and str(raw_group).strip():
            group = str(raw_group).strip().lower()
            if group not in AGE_GROUPS:
                report(i, "age_group", f"unknown age group: {raw_group!r}", True)
                group = None
            elif not pd.isna(age) and 13 <= age < 100 and age_group_from_years(age) != group:
                report(i, "age_group", f"unknown age: {age:g} years contradicts group {group!r}", True)
        elif not pd.isna(age) and 13 <= age < 100:
            group = age_group_from_years(age)
        groups.append(group)

        try:
            g = normalise_gender(df.at[i, "gender"])
        except KeyError:
            report(i, "gender", f"unknown gender: {df.at[i, 'gender']!r}", True)
            g = None
        genders.append(g)

        if group is None and not drop[i]:
            report(i, "age_group", "no age label", require_labels)
        if g is None and not drop[i]:
            report(i, "gender", "no gender label", require_labels)

    out = df.copy()
    out["path"] = paths.astype(object)
    out["speaker"] = df["speaker"].astype("string").astype(object)
    out["age_group"] = pd.Series(groups, index=df.index, dtype=object).astype(AGE_GROUP_DTYPE)
    out["age_years"] = ages.astype(float)
    out["gender"] = pd.Series(genders, index=df.index, dtype=object).astype(GENDER_DTYPE)
    out = out.loc[~drop].reset_index(drop=True)
    problems_df = pd.DataFrame(
        problems, columns=["row", "path", "column", "problem", "problem_kind", "action"]
    )
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


def labelled_rows(
    manifest: pd.DataFrame, require: tuple[str, ...] = ("age_group", "gender")
) -> tuple[pd.DataFrame, int]:
    """Rows whose ``require`` labels are all known, and how many rows were left out.

    Loaders keep rows without age or gender (and flag them in the load report); analyses
    of a label call this to leave them out and say how many: ``labelled, n_out =
    labelled_rows(ds.manifest, ("age_group",))``.
    """
    mask = np.ones(len(manifest), dtype=bool)
    for column in require:
        mask &= manifest[column].notna().to_numpy()
    return manifest.loc[mask].reset_index(drop=True), int((~mask).sum())
