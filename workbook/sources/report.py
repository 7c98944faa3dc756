"""The load report: what a loader kept, what it dropped and why, and what the data holds.

Every loader returns a :class:`LoadReport` beside its manifest. Its ``problems`` table
accounts for every input row that is not simply kept: one line per problem with the source
file and line, the recording's path, the problem in words, its ``reason`` and its
``action``:

- ``dropped`` rows (:data:`DROP_REASONS`): ``malformed row`` (the table line could not be
  split into its columns), ``duplicate`` (same file as an earlier row), ``missing file``,
  ``unknown label`` (an age, age group or gender the workbook cannot read) and
  ``unreadable audio`` (the file exists but is empty, truncated or not audio);
- ``kept`` rows that are flagged (:data:`FLAG_REASONS`) and left out of labelled
  analyses: ``no age label``, ``no gender label``, ``no speaker id``.

The rest are DataFrames too: ``overview`` (rows read, kept, dropped and flagged by reason,
speakers), ``dropped`` (one line per dropped row), ``label_counts`` (age group x gender)
and ``speakers`` (clips per speaker). :func:`display_load_report` shows them with
``display()``; ``report.summary()`` is the same as text for a terminal or a log.

Notebook: 01_signal_anatomy, 02_cleaning and 03_features show it after loading
(``display_load_report(ds)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbook.manifest import AGE_GROUPS, GENDERS

__all__ = [
    "DROP_REASONS",
    "FLAG_REASONS",
    "SPEAKER_LEAKAGE_WARNING",
    "SPEAKER_PROXY_NOTE",
    "LoadReport",
    "build_load_report",
    "display_load_report",
]

#: Why a row can be dropped, in the order a row's reason is chosen when it has several.
DROP_REASONS: tuple[str, ...] = ("malformed row", "duplicate", "missing file", "unknown label", "unreadable audio")

#: Why a kept row is flagged (it stays in the manifest, labelled analyses leave it out).
FLAG_REASONS: tuple[str, ...] = ("no age label", "no gender label", "no speaker id")

#: In the report of a data set without speaker ids (``info["speaker_leakage_possible"]``).
SPEAKER_LEAKAGE_WARNING = (
    "Speaker leakage cannot be ruled out: this data set names no speakers, so each clip "
    "has its own pseudo speaker id. Clips of one person can fall on both sides of a "
    "train/test split, and the scores then partly measure recognising that person "
    "instead of estimating an age. Remedies: use the Common Voice release layout "
    "(DATASET=commonvoice; its client_id names the speaker), or load with "
    "speaker_proxy=['age', 'gender', 'accent'] to group clips that could share a speaker, "
    "and treat scores as optimistic."
)

#: In the report when speaker ids are proxy groups rather than real speakers.
SPEAKER_PROXY_NOTE = (
    "Speaker ids are proxy groups ({columns}), not real speakers: every clip of one "
    "person lands in one group as long as their labels agree across clips, so a split "
    "by group keeps speakers apart, at the price of coarser, larger groups."
)

_PROBLEM_COLUMNS = ["row", "source_file", "source_line", "path", "column", "problem", "reason", "action"]
_CLIP_BINS = ([0, 1, 2, 5, 10, 50, np.inf], ["1", "2", "3-5", "6-10", "11-50", "51+"])


@dataclass
class LoadReport:
    """What one load kept, dropped and why, with speaker and label counts.

    dataset, source : the loader's name and the folder or file it read.
    n_input : data rows read from the source (malformed lines included).
    problems : one line per problem (a row can have several): ``row`` (0-based input
        row), ``source_file``, ``source_line`` (1-based, the header is line 1), ``path``,
        ``column``, ``problem`` (full text), ``reason`` and ``action`` (``dropped``/``kept``).
    label_counts : kept rows by age group (rows) x gender (columns), ``(none)`` = no label.
    clips_per_speaker : clips of each speaker id (Series indexed by speaker).
    n_kept, n_with_age, n_with_gender, n_labelled : kept rows; with an age group, a
        gender, both.
    n_speakers, n_speakers_with_age : distinct speaker ids among kept rows / rows with age.
    speaker_ids : ``"real"``, ``"pseudo"`` (one per clip) or ``"proxy"``.
    check_audio : the audio check level used (``none``, ``header``, ``decode``).
    warnings : texts to show the reader (speaker leakage, recordings without labels, ...).
    """

    dataset: str
    source: str
    n_input: int
    problems: pd.DataFrame
    label_counts: pd.DataFrame
    clips_per_speaker: pd.Series
    n_kept: int
    n_with_age: int
    n_with_gender: int
    n_labelled: int
    n_speakers: int
    n_speakers_with_age: int
    speaker_ids: str = "real"
    check_audio: str = "none"
    warnings: list[str] = field(default_factory=list)

    @property
    def dropped(self) -> pd.DataFrame:
        """One line per dropped row: its first reason in :data:`DROP_REASONS` order, and where it came from."""
        part = self.problems[self.problems["action"] == "dropped"]
        rank = part["reason"].map({r: i for i, r in enumerate(DROP_REASONS)}).fillna(len(DROP_REASONS))
        first = part.assign(_rank=rank).sort_values(["row", "_rank"], kind="stable").drop_duplicates("row")
        columns = ["row", "source_file", "source_line", "path", "reason", "problem"]
        return first[columns].reset_index(drop=True)

    @property
    def n_dropped(self) -> int:
        """Rows read but not in the manifest."""
        return self.n_input - self.n_kept

    @property
    def flagged(self) -> pd.DataFrame:
        """One line per (kept row, flag) with ``flag`` in :data:`FLAG_REASONS`."""
        part = self.problems[(self.problems["action"] == "kept") & self.problems["reason"].isin(FLAG_REASONS)]
        part = part.rename(columns={"reason": "flag"}).drop_duplicates(["row", "flag"])
        return part[["row", "source_file", "source_line", "path", "flag"]].reset_index(drop=True)

    @property
    def overview(self) -> pd.DataFrame:
        """Rows read, kept, dropped and flagged (per reason, zeros included), and speakers."""
        dropped = self.dropped["reason"].value_counts().reindex(DROP_REASONS, fill_value=0)
        flagged = self.flagged["flag"].value_counts().reindex(FLAG_REASONS, fill_value=0)
        rows = {"read": self.n_input, "kept": self.n_kept, "dropped": self.n_dropped}
        rows |= {f"dropped: {r}": int(n) for r, n in dropped.items()}
        rows |= {f"kept, flagged: {r}": int(n) for r, n in flagged.items()}
        rows |= {
            "labelled (age group and gender)": self.n_labelled,
            "kept but unlabelled (left out of labelled analyses)": self.n_kept - self.n_labelled,
            f"speakers ({self.speaker_ids} ids)": self.n_speakers,
            "speakers with an age label": self.n_speakers_with_age,
        }
        return pd.DataFrame({"count": rows}).rename_axis(f"{self.dataset} (audio check: {self.check_audio})")

    @property
    def speakers(self) -> pd.DataFrame:
        """Speakers and their clips by clips-per-speaker bin (1, 2, 3-5, 6-10, 11-50, 51+)."""
        counts = self.clips_per_speaker
        binned = pd.cut(counts, bins=_CLIP_BINS[0], labels=_CLIP_BINS[1])
        grouped = counts.groupby(binned, observed=False)
        table = pd.DataFrame({"speakers": grouped.size(), "clips": grouped.sum()}).astype(int)
        return table.rename_axis("clips per speaker")

    def summary(self) -> str:
        """The report as plain text: source, overview, labels and warnings."""
        overview = self.overview
        lines = [f"{self.dataset}: {self.source} (audio check: {self.check_audio})",
                 f"  {self.n_input} rows read, {self.n_kept} kept, {self.n_dropped} dropped"]
        shown = overview[(overview["count"] > 0) & ~overview.index.isin(["read", "kept", "dropped"])]
        lines += [f"  {n:7d}  {what}" for what, n in shown["count"].items()]
        if self.n_kept:
            lines += ["  labels (age group x gender):"] + ["    " + s for s in str(self.label_counts).splitlines()]
        lines += [f"  WARNING: {text}" for text in self.warnings]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _ipython_display_(self) -> None:
        display_load_report(self)


def build_load_report(
    dataset: str,
    source: str,
    manifest: pd.DataFrame,
    problems: pd.DataFrame,
    n_input: int,
    *,
    speaker_ids: str = "real",
    check_audio: str = "none",
    warnings: list[str] | None = None,
) -> LoadReport:
    """Assemble a :class:`LoadReport` from the kept rows (``manifest``) and the table of problems.

    ``problems`` has the columns of :attr:`LoadReport.problems` (missing ones are filled
    with NA); every dropped row appears in it at least once with ``action == "dropped"``.
    """
    problems = problems.reindex(columns=_PROBLEM_COLUMNS).reset_index(drop=True)
    has_age, has_gender = manifest["age_group"].notna(), manifest["gender"].notna()
    speakers = manifest["speaker"]
    known = speakers.notna() & (speakers.astype(str).str.strip() != "")
    clips_per_speaker = speakers[known].value_counts().rename("clips").rename_axis("speaker")
    return LoadReport(
        dataset=dataset,
        source=str(source),
        n_input=int(n_input),
        problems=problems,
        label_counts=_label_counts(manifest),
        clips_per_speaker=clips_per_speaker,
        n_kept=len(manifest),
        n_with_age=int(has_age.sum()),
        n_with_gender=int(has_gender.sum()),
        n_labelled=int((has_age & has_gender).sum()),
        n_speakers=int(speakers[known].nunique()),
        n_speakers_with_age=int(speakers[known & has_age].nunique()),
        speaker_ids=speaker_ids,
        check_audio=check_audio,
        warnings=list(warnings or []),
    )


def _label_counts(manifest: pd.DataFrame) -> pd.DataFrame:
    none = "(none)"
    ages = manifest["age_group"].astype(object).where(manifest["age_group"].notna(), none)
    genders = manifest["gender"].astype(object).where(manifest["gender"].notna(), none)
    table = pd.crosstab(ages, genders)
    rows = list(AGE_GROUPS) + ([none] if none in table.index else [])
    cols = list(GENDERS) + ([none] if none in table.columns else [])
    table = table.reindex(index=rows, columns=cols, fill_value=0)
    table["total"] = table.sum(axis=1)
    table.loc["total"] = table.sum(axis=0)
    return table.rename_axis(index="age group", columns="gender").astype(int)


def _highlight_problems(column: pd.Series) -> list[str]:
    """Styler colours: dropped rows red, flagged rows amber, where their count is not zero."""
    colours = {"dropped: ": "background-color: #f8d7da", "kept, flagged: ": "background-color: #fff3cd"}
    return [next((c for p, c in colours.items() if name.startswith(p) and n > 0), "")
            for name, n in column.items()]


def display_load_report(report, *, max_rows: int = 15) -> None:
    """Show a load report in a notebook as DataFrames; print its text summary elsewhere.

    ``report`` is a :class:`LoadReport` or anything with a ``.report`` attribute (a
    :class:`~workbook.sources.loading.LoadedDataset`). Shows the warnings, the overview
    (dropped reasons in red, flags in amber), the labels, the clips per speaker and the
    first ``max_rows`` dropped rows with their path and reason (all of them in
    ``report.problems``).

    Notebook: 01_signal_anatomy, 02_cleaning, 03_features.
    """
    report = getattr(report, "report", report)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python without IPython
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(report.summary())
        return
    print(f"{report.dataset}: {report.source} (audio check: {report.check_audio})")
    if report.warnings:
        warnings = pd.DataFrame({"warning": report.warnings})
        display(warnings.style.hide(axis="index").set_properties(
            **{"background-color": "#f8d7da", "text-align": "left", "white-space": "normal"}))
    display(report.overview.style.apply(_highlight_problems, subset=["count"]))
    display(report.label_counts)
    display(report.speakers)
    dropped = report.dropped
    if len(dropped):
        more = f"; all {len(dropped)} in report.problems" if len(dropped) > max_rows else ""
        print(f"dropped rows (first {min(max_rows, len(dropped))}{more}):")
        display(dropped.head(max_rows))
