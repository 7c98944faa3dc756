"""The load report: what a loader kept, what it dropped and why, and what the data holds.

Every loader in :mod:`workbook.sources` (and the synthetic corpus) returns a
:class:`LoadReport` beside its manifest. It accounts for every input row:

- **dropped** rows, one line each with one reason (:data:`DROP_REASONS`): ``malformed
  row`` (the table line could not be split into its columns), ``duplicate`` (same file as
  an earlier row), ``missing file``, ``unknown label`` (an age, age group or gender the
  workbook cannot read) and ``unreadable audio`` (the file exists but is empty, truncated
  or not audio);
- **flagged** rows, kept in the manifest but left out of labelled analyses: ``no age
  label``, ``no gender label``, ``no speaker id``;
- speakers, clips per speaker and label counts (age group x gender) of the kept rows.

``report.summary()`` gives text for a terminal; :func:`display_load_report` (or simply
leaving the report as the last expression of a cell) renders HTML tables in a notebook.
Data sets without speaker ids carry :data:`SPEAKER_LEAKAGE_WARNING`;
:func:`speaker_split_warning` returns it wherever a notebook makes a split.

Notebook: every notebook shows it at the top (``display_load_report(ds.report)``);
05_modeling calls :func:`speaker_split_warning` before splitting.
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbook.manifest import AGE_GROUPS, GENDERS, ManifestValidation

#: Why a row can be dropped, in the order a row's reason is chosen when it has several.
DROP_REASONS: tuple[str, ...] = (
    "malformed row",
    "duplicate",
    "missing file",
    "unknown label",
    "unreadable audio",
)

#: Why a kept row is flagged (it stays in the manifest, labelled analyses leave it out).
FLAG_REASONS: tuple[str, ...] = ("no age label", "no gender label", "no speaker id")

#: How each ``problem_kind`` of :func:`workbook.manifest.validate_manifest` maps to a reason.
_KIND_TO_REASON = {
    "empty path": "missing file",
    "missing file": "missing file",
    "duplicate": "duplicate",
    "unknown age": "unknown label",
    "unknown age group": "unknown label",
    "unknown gender": "unknown label",
    "no age label": "no age label",
    "no gender label": "no gender label",
    "no speaker id": "no speaker id",
    "unreadable audio": "unreadable audio",
    "malformed row": "malformed row",
}

#: Shown wherever a data set without speaker ids is split into train and test.
SPEAKER_LEAKAGE_WARNING = (
    "Speaker leakage cannot be ruled out: this data set names no speakers, so each clip "
    "has its own pseudo speaker id. Clips of one person can fall on both sides of a "
    "train/test split, and the scores then partly measure recognising that person "
    "instead of estimating an age. Remedies: use the Common Voice release layout "
    "(DATASET=commonvoice; its client_id names the speaker), or load with "
    "speaker_proxy=['age', 'gender', 'accent'] to group clips that could share a speaker, "
    "and treat scores as optimistic."
)

#: Shown when speaker ids are proxy groups rather than real speakers.
SPEAKER_PROXY_NOTE = (
    "Speaker ids are proxy groups ({columns}), not real speakers: every clip of one "
    "person lands in one group as long as their labels agree across clips, so a split "
    "by group keeps speakers apart, at the price of coarser, larger groups."
)

PROBLEM_COLUMNS = [
    "row",
    "source_file",
    "source_line",
    "path",
    "column",
    "problem",
    "problem_kind",
    "reason",
    "action",
]


class SpeakerLeakageWarning(UserWarning):
    """A train/test split is made on a data set whose speaker ids are not real speakers."""


@dataclass
class LoadReport:
    """What one load kept, dropped and why, with speaker and label counts.

    Attributes
    ----------
    dataset, source : the loader's name and what it read (folder or file).
    n_input : data rows read from the source (malformed lines included).
    problems : one line per problem found: ``row`` (0-based data row), ``source_file``,
        ``source_line`` (1-based line in that file, header = line 1), ``path``,
        ``column``, ``problem`` (full text), ``problem_kind``, ``reason`` and ``action``
        (``dropped`` or ``kept``). A row can have several problems.
    dropped : one line per dropped row with its single ``reason`` and ``detail``.
    flagged : one line per (kept row, flag) with ``flag`` in :data:`FLAG_REASONS`.
    n_kept : rows in the manifest.
    n_with_age, n_with_gender, n_labelled : kept rows with an age group, a gender, both.
    n_speakers, n_speakers_with_age : distinct speaker ids among kept rows / rows with age.
    clips_per_speaker : number of clips of each speaker id (Series indexed by speaker).
    label_counts : kept rows by age group (rows) x gender (columns), ``(none)`` = no label.
    speaker_ids : ``"real"``, ``"pseudo"`` (one per clip) or ``"proxy"``.
    check_audio : the audio check level used (``none``, ``header``, ``decode``).
    warnings : texts to show the reader (speaker leakage, ignored parameters, ...).
    """

    dataset: str
    source: str
    n_input: int
    problems: pd.DataFrame
    dropped: pd.DataFrame
    flagged: pd.DataFrame
    n_kept: int
    n_with_age: int
    n_with_gender: int
    n_labelled: int
    n_speakers: int
    n_speakers_with_age: int
    clips_per_speaker: pd.Series
    label_counts: pd.DataFrame
    speaker_ids: str = "real"
    check_audio: str = "none"
    warnings: list[str] = field(default_factory=list)

    # ----------------------------------------------------------------- counts
    @property
    def n_dropped(self) -> int:
        """Rows read but not in the manifest."""
        return len(self.dropped)

    @property
    def dropped_by_reason(self) -> pd.Series:
        """Dropped rows per reason (every reason listed, zeros included)."""
        counts = self.dropped["reason"].value_counts()
        return counts.reindex(list(DROP_REASONS), fill_value=0).astype(int).rename("rows")

    @property
    def flagged_by_reason(self) -> pd.Series:
        """Kept rows per flag (a row without age and gender counts under both)."""
        counts = self.flagged["flag"].value_counts()
        return counts.reindex(list(FLAG_REASONS), fill_value=0).astype(int).rename("rows")

    @property
    def n_unlabelled(self) -> int:
        """Kept rows lacking age group or gender: excluded from labelled analyses."""
        return self.n_kept - self.n_labelled

    @property
    def speaker_ids_reliable(self) -> bool:
        """True when speaker ids name real speakers (a split by speaker is trustworthy)."""
        return self.speaker_ids == "real"

    def clips_per_speaker_table(self) -> pd.DataFrame:
        """Speakers and clips by clips-per-speaker bin (1, 2, 3-5, 6-10, 11-50, 51+)."""
        bins = [0, 1, 2, 5, 10, 50, np.inf]
        labels = ["1", "2", "3-5", "6-10", "11-50", "51+"]
        counts = self.clips_per_speaker
        binned = pd.cut(counts, bins=bins, labels=labels)
        table = pd.DataFrame(
            {
                "speakers": counts.groupby(binned, observed=False).size(),
                "clips": counts.groupby(binned, observed=False).sum(),
            }
        )
        table.index.name = "clips per speaker"
        return table.astype(int)

    # ------------------------------------------------------------------ text
    def summary(self) -> str:
        """A few lines of plain text for a terminal or a log."""
        lines = [
            f"{self.dataset}: {self.source} (audio check: {self.check_audio})",
            f"  {self.n_input} rows read, {self.n_kept} kept, {self.n_dropped} dropped",
        ]
        for reason, n in self.dropped_by_reason.items():
            if n:
                lines.append(f"    dropped {n:7d}  {reason}")
        flags = self.flagged_by_reason
        if flags.any():
            for flag, n in flags.items():
                if n:
                    lines.append(f"    flagged {n:7d}  {flag} (kept)")
        lines.append(
            f"  labelled (age group and gender): {self.n_labelled}; "
            f"{self.n_unlabelled} kept rows excluded from labelled analyses "
            f"({self.n_with_age} with age, {self.n_with_gender} with gender)"
        )
        cps = self.clips_per_speaker
        if len(cps):
            lines.append(
                f"  speakers: {self.n_speakers} ({self.n_speakers_with_age} with an age label; "
                f"ids: {self.speaker_ids}); clips per speaker: min {cps.min()}, "
                f"median {cps.median():g}, mean {cps.mean():.1f}, max {cps.max()}"
            )
        else:
            lines.append("  speakers: 0")
        if self.n_kept:
            lines.append("  labels (age group x gender):")
            table = self.label_counts.to_string()
            lines.extend("    " + line for line in table.splitlines())
        for text in self.warnings:
            lines.append(f"  WARNING: {text}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    # ------------------------------------------------------------------ html
    def to_html(self, max_rows: int = 15) -> str:
        """The report as HTML: headline, warnings and tables (at most ``max_rows`` problems)."""
        esc = html.escape
        parts = [
            "<div class='load-report'>",
            f"<h4>Load report: {esc(self.dataset)}</h4>",
            f"<p><code>{esc(self.source)}</code> &middot; audio check: <b>{esc(self.check_audio)}</b></p>",
        ]
        for text in self.warnings:
            parts.append(
                "<div style='border-left:4px solid #c0392b;background:#fdecea;"
                f"padding:6px 10px;margin:6px 0'><b>Warning.</b> {esc(text)}</div>"
            )
        overview = pd.DataFrame(
            {
                "rows": [
                    self.n_input,
                    self.n_kept,
                    self.n_dropped,
                    self.n_labelled,
                    self.n_unlabelled,
                    self.n_speakers,
                    self.n_speakers_with_age,
                ]
            },
            index=[
                "read",
                "kept",
                "dropped",
                "labelled (age group and gender)",
                "kept but unlabelled (left out of labelled analyses)",
                f"speakers ({self.speaker_ids} ids)",
                "speakers with an age label",
            ],
        )
        why = pd.concat(
            [
                self.dropped_by_reason.to_frame().assign(action="dropped"),
                self.flagged_by_reason.to_frame().assign(action="kept, flagged"),
            ]
        )
        why.index.name = "reason"
        tables = [
            ("Overview", overview),
            ("Dropped and flagged rows", why),
            ("Clips per speaker", self.clips_per_speaker_table()),
            ("Labels: age group x gender", self.label_counts),
        ]
        parts.append("<div style='display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start'>")
        for title, table in tables:
            parts.append(f"<div><b>{esc(title)}</b>{table.to_html(border=0)}</div>")
        parts.append("</div>")
        if len(self.problems):
            shown = self.problems.head(max_rows)[
                ["source_file", "source_line", "path", "problem", "action"]
            ]
            more = len(self.problems) - len(shown)
            parts.append(
                f"<details><summary>Problems ({len(self.problems)}; first {len(shown)} shown"
                f"{'; all in report.problems' if more else ''})</summary>"
                f"{shown.to_html(border=0, index=False)}</details>"
            )
        parts.append("</div>")
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()


# --------------------------------------------------------------------- building
def _empty_problems() -> pd.DataFrame:
    return pd.DataFrame(columns=PROBLEM_COLUMNS)


def reason_of(problem_kind: str) -> str:
    """The report reason (:data:`DROP_REASONS` / :data:`FLAG_REASONS`) of a problem kind."""
    return _KIND_TO_REASON.get(problem_kind, problem_kind)


def _label_counts(manifest: pd.DataFrame) -> pd.DataFrame:
    none = "(none)"
    ages = manifest["age_group"].astype(object).where(manifest["age_group"].notna(), none)
    genders = manifest["gender"].astype(object).where(manifest["gender"].notna(), none)
    table = pd.crosstab(ages, genders)
    rows = list(AGE_GROUPS) + ([none] if none in table.index else [])
    cols = list(GENDERS) + ([none] if none in table.columns else [])
    extra_rows = [r for r in table.index if r not in rows]  # cannot happen after validation
    extra_cols = [c for c in table.columns if c not in cols]
    table = table.reindex(index=rows + extra_rows, columns=cols + extra_cols, fill_value=0)
    table["total"] = table.sum(axis=1)
    table.loc["total"] = table.sum(axis=0)
    table.index.name = "age group"
    table.columns.name = "gender"
    return table.astype(int)


def build_load_report(
    dataset: str,
    source: str,
    manifest: pd.DataFrame,
    problems: pd.DataFrame,
    n_input: int,
    *,
    speaker_ids: str = "real",
    check_audio: str = "none",
    warnings_: list[str] | None = None,
) -> LoadReport:
    """Assemble a :class:`LoadReport` from the kept rows and the table of problems.

    ``problems`` has the columns of :data:`PROBLEM_COLUMNS` (``reason`` is filled in from
    ``problem_kind`` when missing); every dropped row must appear in it at least once with
    ``action == "dropped"``. Each dropped row gets the first reason in
    :data:`DROP_REASONS` order among its problems.
    """
    problems = problems.copy()
    for col in PROBLEM_COLUMNS:
        if col not in problems.columns:
            problems[col] = pd.NA
    if len(problems):
        problems["reason"] = [
            r if isinstance(r, str) and r else reason_of(str(k))
            for r, k in zip(problems["reason"], problems["problem_kind"])
        ]
    problems = problems[PROBLEM_COLUMNS].reset_index(drop=True)

    drop_part = problems[problems["action"] == "dropped"].copy()
    order = {r: i for i, r in enumerate(DROP_REASONS)}
    drop_part["_rank"] = drop_part["reason"].map(order).fillna(len(order))
    dropped = (
        drop_part.sort_values(["row", "_rank"], kind="stable")
        .drop_duplicates("row", keep="first")
        .sort_values("row", kind="stable")
        .rename(columns={"problem": "detail"})[
            ["row", "source_file", "source_line", "path", "reason", "detail"]
        ]
        .reset_index(drop=True)
    )
    flag_part = problems[(problems["action"] == "kept") & problems["reason"].isin(FLAG_REASONS)]
    flagged = (
        flag_part.rename(columns={"reason": "flag"})[["row", "source_file", "source_line", "path", "flag"]]
        .drop_duplicates(["row", "flag"])
        .reset_index(drop=True)
    )

    has_age = manifest["age_group"].notna()
    has_gender = manifest["gender"].notna()
    speakers = manifest["speaker"]
    known_speaker = speakers.notna() & (speakers.astype(str).str.strip() != "")
    clips_per_speaker = speakers[known_speaker].value_counts().rename("clips")
    clips_per_speaker.index.name = "speaker"
    return LoadReport(
        dataset=dataset,
        source=str(source),
        n_input=int(n_input),
        problems=problems,
        dropped=dropped,
        flagged=flagged,
        n_kept=len(manifest),
        n_with_age=int(has_age.sum()),
        n_with_gender=int(has_gender.sum()),
        n_labelled=int((has_age & has_gender).sum()),
        n_speakers=int(speakers[known_speaker].nunique()),
        n_speakers_with_age=int(speakers[known_speaker & has_age].nunique()),
        clips_per_speaker=clips_per_speaker,
        label_counts=_label_counts(manifest),
        speaker_ids=speaker_ids,
        check_audio=check_audio,
        warnings=list(warnings_ or []),
    )


def report_from_validation(
    dataset: str,
    source: str,
    validation: ManifestValidation,
    *,
    source_file: str | None = None,
    first_line: int = 2,
    check_audio: str = "none",
) -> LoadReport:
    """A :class:`LoadReport` for a manifest read with :func:`workbook.manifest.read_manifest`.

    Row ``i`` of the CSV is line ``i + first_line`` of ``source_file`` (header on line 1).
    """
    problems = validation.problems.copy()
    problems["source_file"] = source_file
    problems["source_line"] = problems["row"] + first_line if len(problems) else []
    return build_load_report(
        dataset,
        source,
        validation.manifest,
        problems,
        validation.n_input,
        check_audio=check_audio,
    )


# ------------------------------------------------------------------ notebooks
def display_load_report(report, *, max_rows: int = 15) -> None:
    """Show a load report at the top of a notebook (HTML tables); print it elsewhere.

    ``report`` may be a :class:`LoadReport` or anything with a ``.report`` attribute
    (a :class:`workbook.datasets.LoadedDataset`). Outside IPython the text summary is printed.
    """
    report = getattr(report, "report", report)
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:  # plain Python without IPython installed
        print(report.summary())
        return
    if get_ipython() is None:
        print(report.summary())
        return
    if hasattr(report, "to_html"):
        display(HTML(report.to_html(max_rows=max_rows)))
    else:  # an older ManifestValidation
        print(report.summary())


def speaker_split_warning(obj, *, warn: bool = True) -> str | None:
    """The warning to show before a train/test split, or None if speaker ids are real.

    ``obj`` is a :class:`workbook.datasets.LoadedDataset`, a :class:`LoadReport` or a
    manifest (DataFrame; its ``speaker`` column is then checked for per-clip pseudo ids
    made by these loaders, which start with ``clip:``). With ``warn`` a
    :class:`SpeakerLeakageWarning` is issued too, so headless runs log it.
    """
    text = None
    report = getattr(obj, "report", obj)
    if isinstance(report, LoadReport):
        if report.speaker_ids == "pseudo":
            text = SPEAKER_LEAKAGE_WARNING
        elif report.speaker_ids == "proxy":
            text = next((w for w in report.warnings if w.startswith("Speaker ids are proxy")), None)
    elif isinstance(obj, pd.DataFrame) and "speaker" in obj.columns:
        if obj["speaker"].astype(str).str.startswith("clip:").any():
            text = SPEAKER_LEAKAGE_WARNING
    if text and warn:
        warnings.warn(text, SpeakerLeakageWarning, stacklevel=2)
    return text
