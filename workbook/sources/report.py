"""The load report: what a loader kept, what it dropped and why, and what the data holds.

Every loader returns a :class:`LoadReport` beside its manifest. Its ``problems`` table
names every input row that is not simply kept, one line per problem, with the source
file and line, the recording's path, the problem in words, its ``reason`` and ``action``:
``dropped`` (:data:`DROP_REASONS`) or ``kept`` but flagged and left out of labelled
analyses (:data:`FLAG_REASONS`). ``overview`` (rows read, kept, dropped and flagged by
reason, labels, speakers), ``dropped``, ``label_counts`` (age group x gender) and
``speakers`` (clips per speaker) are DataFrames too; :func:`display_load_report` shows them
with ``display()``, ``report.summary()`` as text for a terminal or a log.

Notebook: 01_signal_anatomy, 02_cleaning and 03_features (``display_load_report(ds)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbook.manifest import AGE_GROUPS, GENDERS

__all__ = ["LoadReport", "display_load_report"]

#: Why a row is dropped: a line that does not split into the header's columns, the same
#: file as an earlier row, no file, an age / age group / gender the workbook cannot read,
#: a file that is empty, truncated or not audio. A row with several gets the first.
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


@dataclass
class LoadReport:
    """What one load kept, dropped and why.

    dataset, source : the loader's name and the folder or file it read.
    n_input : data rows read from the source (malformed lines included).
    problems : one line per problem (a row can have several): ``row`` (0-based input
        row), ``source_file``, ``source_line`` (1-based; the header is line 1), ``path``,
        ``column``, ``problem`` (in words), ``reason`` and ``action`` (``dropped``/``kept``).
    kept : the manifest (the rows kept).
    speaker_ids : ``"real"``, ``"pseudo"`` (one per clip) or ``"proxy"``.
    check_audio : the audio check level used (``none``, ``header``, ``decode``).
    warnings : texts to show the reader (speaker leakage, speakers without recordings, ...).
    """

    dataset: str
    source: str
    n_input: int
    problems: pd.DataFrame
    kept: pd.DataFrame
    speaker_ids: str = "real"
    check_audio: str = "none"
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.problems = self.problems.reindex(columns=_PROBLEM_COLUMNS).reset_index(drop=True)

    @property
    def n_kept(self) -> int:
        return len(self.kept)

    @property
    def n_dropped(self) -> int:
        return self.n_input - self.n_kept

    @property
    def dropped(self) -> pd.DataFrame:
        """One line per dropped row: where it came from and its first reason in :data:`DROP_REASONS` order."""
        part = self.problems[self.problems["action"] == "dropped"]
        rank = part["reason"].map({r: i for i, r in enumerate(DROP_REASONS)})
        first = part.assign(_rank=rank).sort_values(["row", "_rank"], kind="stable").drop_duplicates("row")
        return first[["row", "source_file", "source_line", "path", "reason", "problem"]].reset_index(drop=True)

    @property
    def flagged(self) -> pd.DataFrame:
        """One line per (kept row, flag) with ``flag`` in :data:`FLAG_REASONS`."""
        part = self.problems[(self.problems["action"] == "kept") & self.problems["reason"].isin(FLAG_REASONS)]
        part = part.rename(columns={"reason": "flag"}).drop_duplicates(["row", "flag"])
        return part[["row", "source_file", "source_line", "path", "flag"]].reset_index(drop=True)

    @property
    def clips_per_speaker(self) -> pd.Series:
        """Clips of each speaker id among the kept rows."""
        speakers = self.kept["speaker"]
        known = speakers.notna() & (speakers.astype(str).str.strip() != "")
        return speakers[known].value_counts().rename("clips").rename_axis("speaker")

    @property
    def overview(self) -> pd.DataFrame:
        """Rows read, kept, dropped and flagged (per reason, zeros included), labels and speakers."""
        dropped = self.dropped["reason"].value_counts().reindex(DROP_REASONS, fill_value=0)
        flagged = self.flagged["flag"].value_counts().reindex(FLAG_REASONS, fill_value=0)
        has_age, has_gender = self.kept["age_group"].notna(), self.kept["gender"].notna()
        speakers = self.clips_per_speaker.index
        with_age = self.kept.loc[has_age & self.kept["speaker"].isin(speakers), "speaker"]
        rows = {"read": self.n_input, "kept": self.n_kept, "dropped": self.n_dropped}
        rows |= {f"dropped: {r}": n for r, n in dropped.items()}
        rows |= {f"kept, flagged: {r}": n for r, n in flagged.items()}
        rows |= {"with an age group": has_age.sum(), "with a gender": has_gender.sum(),
                 "labelled (age group and gender)": (has_age & has_gender).sum(),
                 f"speakers ({self.speaker_ids} ids)": len(speakers), "speakers with an age label": with_age.nunique()}
        counts = pd.DataFrame({"count": pd.Series(rows, dtype=int)})
        return counts.rename_axis(f"{self.dataset} (audio check: {self.check_audio})")

    @property
    def label_counts(self) -> pd.DataFrame:
        """Kept rows by age group (rows) x gender (columns) with totals; ``(none)``: no label."""
        labels = self.kept[["age_group", "gender"]].astype(object).fillna("(none)")
        table = pd.crosstab(labels["age_group"], labels["gender"])
        table = table.reindex(index=[*AGE_GROUPS, *(["(none)"] if "(none)" in table.index else [])],
                              columns=[*GENDERS, *(["(none)"] if "(none)" in table.columns else [])], fill_value=0)
        table["total"] = table.sum(axis=1)
        table.loc["total"] = table.sum(axis=0)
        return table.rename_axis(index="age group", columns="gender").astype(int)

    @property
    def speakers(self) -> pd.DataFrame:
        """Speakers and their clips by clips-per-speaker bin (1, 2, 3-5, 6-10, 11-50, 51+)."""
        counts = self.clips_per_speaker
        binned = pd.cut(counts, bins=[0, 1, 2, 5, 10, 50, np.inf], labels=["1", "2", "3-5", "6-10", "11-50", "51+"])
        grouped = counts.groupby(binned, observed=False)
        table = pd.DataFrame({"speakers": grouped.size(), "clips": grouped.sum()}).astype(int)
        return table.rename_axis("clips per speaker")

    def summary(self) -> str:
        """The report as plain text: source, the non-zero counts, labels and warnings."""
        counts = self.overview["count"]
        shown = counts[(counts > 0) & ~counts.index.isin(["read", "kept", "dropped"])]
        lines = [f"{self.dataset}: {self.source} (audio check: {self.check_audio})",
                 f"  {self.n_input} rows read, {self.n_kept} kept, {self.n_dropped} dropped"]
        lines += [f"  {n:7d}  {what}" for what, n in shown.items()]
        if self.n_kept:
            lines += ["  labels (age group x gender):"] + ["    " + s for s in str(self.label_counts).splitlines()]
        return "\n".join(lines + [f"  WARNING: {text}" for text in self.warnings])

    def __str__(self) -> str:
        return self.summary()

    def _ipython_display_(self) -> None:
        display_load_report(self)


def _colour_problems(counts: pd.Series) -> list[str]:
    """Styler colours of the overview: non-zero dropped reasons red, non-zero flags amber."""
    colours = {"dropped: ": "background-color: #f8d7da", "kept, flagged: ": "background-color: #fff3cd"}
    return [next((c for p, c in colours.items() if what.startswith(p) and n > 0), "") for what, n in counts.items()]


def display_load_report(report, *, max_rows: int = 15) -> None:
    """Show a load report in a notebook as DataFrames; print its text summary elsewhere.

    ``report`` is a :class:`LoadReport` or anything with a ``.report`` (a ``LoadedDataset``).
    Shows the warnings, the overview (a Styler: dropped reasons red, flags amber), the labels,
    the clips per speaker and the first ``max_rows`` dropped rows with their path and reason
    (all problems are in ``report.problems``).

    Notebook: 01_signal_anatomy, 02_cleaning, 03_features.
    """
    import IPython  # only where a report is shown; the command line never needs it
    from IPython.display import display

    report = getattr(report, "report", report)
    if IPython.get_ipython() is None:
        print(report.summary())
        return
    print(f"{report.dataset}: {report.source} (audio check: {report.check_audio})")
    if report.warnings:
        display(pd.DataFrame({"warning": report.warnings}).style.hide(axis="index").set_properties(
            **{"background-color": "#f8d7da", "text-align": "left", "white-space": "normal"}))
    display(report.overview.style.apply(_colour_problems, subset=["count"]))
    display(report.label_counts)
    display(report.speakers)
    dropped = report.dropped
    if len(dropped):
        more = f"; all {len(dropped)} in report.problems" if len(dropped) > max_rows else ""
        print(f"dropped rows (first {min(max_rows, len(dropped))}{more}):")
        display(dropped.head(max_rows))
