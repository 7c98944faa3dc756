"""Choosing the clips a notebook shows: named examples, age/gender contrasts.

- :func:`pick_example_clips` returns the synthetic corpus's four named example clips
  (``examples/examples.csv``: clean_long_silences, click_in_silence,
  nonstationary_noise, tonal_noise); a data set without them (real recordings) gets the
  first clip of each of its first speakers instead, so the notebooks run on any data.
- :func:`pick_age_contrast` returns one young and one old voice of each gender, clean
  where the manifest says so (``noise_type == "none"``), closest to a target age where
  ages in years are known, widening the age groups when a group is empty.

Both return manifest rows (absolute ``path``) plus a ``label`` column for figure titles;
choices are deterministic (sorted, no randomness).

Notebook: 01_signal_anatomy, 02_cleaning, 03_features, 07_predict
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["pick_age_contrast", "pick_example_clips"]

#: Roles returned by :func:`pick_age_contrast`, in display order (rows of a 2 x 2 grid).
_CONTRAST_ROLES: tuple[tuple[str, str], ...] = (("young", "female"), ("old", "female"), ("young", "male"), ("old", "male"))


def _manifest_of(ds) -> pd.DataFrame:
    manifest = getattr(ds, "manifest", ds)
    if not isinstance(manifest, pd.DataFrame):
        raise TypeError(f"expected a LoadedDataset or a manifest DataFrame, got {type(ds).__name__}")
    if manifest.empty:
        raise ValueError("the manifest is empty: no clips to choose from")
    return manifest


def _describe(row: pd.Series) -> str:
    gender = row.get("gender")
    age = row.get("age_years")
    group = row.get("age_group")
    who = "" if pd.isna(gender) else str(gender)
    if not pd.isna(age):
        who += f", {age:.0f} y"
    elif not pd.isna(group):
        who += f", {group}"
    return who.strip(", ") or "unlabelled"


def pick_example_clips(ds, *, n: int = 4) -> pd.DataFrame:
    """Clips to introduce a data set: its named examples, else the first clips.

    ``ds`` is a :class:`workbook.datasets.LoadedDataset` (or a manifest DataFrame). If
    ``<ds.root>/examples/examples.csv`` exists (the synthetic corpus), its rows are
    returned with absolute ``path`` and ``clean_path``, and ``label`` = the example's
    name. Otherwise the first clip of each of the first ``n`` speakers in manifest
    order is returned (speakers with age and gender labels first), labelled
    ``clip<i> (<gender>, <age>)``.

    Raises ``FileNotFoundError`` if examples.csv names a file that does not exist.

    Notebook: 01_signal_anatomy, 02_cleaning, 03_features, 07_predict
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    root = getattr(ds, "root", None)
    csv = Path(root) / "examples" / "examples.csv" if root is not None else None
    if csv is not None and csv.is_file():
        df = pd.read_csv(csv)
        for col in ("path", "clean_path"):
            if col in df:
                df[col] = [_resolve(csv, Path(root), p) for p in df[col]]
        df.insert(0, "label", df["name"] if "name" in df else [f"example{i + 1}" for i in range(len(df))])
        return df.head(n).reset_index(drop=True)
    manifest = _manifest_of(ds)
    labelled = manifest["gender"].notna() & manifest["age_group"].notna()
    ordered = pd.concat([manifest[labelled], manifest[~labelled]])  # labelled speakers first
    first = ordered.drop_duplicates(subset="speaker", keep="first").head(n).copy()
    first.insert(0, "label", [f"clip{i + 1} ({_describe(r)})" for i, (_, r) in enumerate(first.iterrows())])
    return first.reset_index(drop=True)


def _resolve(csv: Path, root: Path, p) -> str | float:
    """Absolute path of an examples.csv entry (relative to the corpus root or the CSV)."""
    if pd.isna(p):
        return np.nan
    p = Path(str(p))
    candidates = [p] if p.is_absolute() else [root / p, csv.parent / p]
    for c in candidates:
        if c.is_file():
            return str(c.resolve())
    raise FileNotFoundError(f"{csv}: names {p}, which is not a file (looked in {[str(c) for c in candidates]})")


#: Manifest columns that say whether a clip is clean (noise type "none", no clicks, no clipping).
_CLEAN_COLUMNS = ("noise_type", "n_clicks", "clipped_fraction")


def _clean_mask(manifest: pd.DataFrame) -> pd.Series:
    """True for clips without added noise, clicks or clipping (columns that exist)."""
    mask = pd.Series(True, index=manifest.index)
    if "noise_type" in manifest:
        mask &= manifest["noise_type"].astype("string").fillna("") == "none"
    for col in ("n_clicks", "clipped_fraction"):
        if col in manifest:
            mask &= pd.to_numeric(manifest[col], errors="coerce").fillna(0) == 0
    return mask


def pick_age_contrast(
    ds,
    *,
    young_groups: tuple[str, ...] = ("twenties", "teens", "thirties"),
    old_groups: tuple[str, ...] = ("seventies", "eighties", "nineties", "sixties"),
    young_target_years: float = 22.0,
    old_target_years: float = 75.0,
    clean_only: bool = True,
) -> pd.DataFrame:
    """One young and one old voice of each gender, for side-by-side comparison.

    For each role (young/old x female/male) the candidates are clips of that gender in the
    first of ``young_groups`` / ``old_groups`` that has any (so real data lacking
    seventies falls back to eighties, ...). With ``clean_only``, clips the manifest marks
    as clean are preferred: ``noise_type == "none"``, no clicks (``n_clicks == 0``), no
    clipping (``clipped_fraction == 0``), for the columns that exist; a noisy clip is
    taken only when the group has no clean one.
    Where ages in years are known the clip closest to the target age (years) wins; ties
    and unknown ages are broken by speaker and path, so the choice is deterministic.

    Returns the chosen manifest rows with ``role`` ("young female", ...), ``label``
    (role, age) and ``selection_note`` (how the row was found) in front. Roles with no
    candidate at all are left out and listed in ``df.attrs["missing_roles"]``.

    Notebook: 01_signal_anatomy
    """
    manifest = _manifest_of(ds)
    if isinstance(manifest["age_group"].dtype, pd.CategoricalDtype):  # the workbook's ordered groups
        known = list(manifest["age_group"].cat.categories)
        unknown = [g for g in young_groups + old_groups if g not in known]
        if unknown:
            raise ValueError(f"unknown age group(s) {unknown}; known: {known}")
    gender = manifest["gender"].astype("string")
    group = manifest["age_group"].astype("string")
    clean_mask = _clean_mask(manifest)
    has_clean_info = any(c in manifest for c in _CLEAN_COLUMNS)

    rows, missing = [], []
    for band, g in _CONTRAST_ROLES:
        groups = young_groups if band == "young" else old_groups
        target = young_target_years if band == "young" else old_target_years
        chosen, note = None, ""
        for grp in groups:
            cand = manifest[(gender == g).fillna(False) & (group == grp).fillna(False)]
            if cand.empty:
                continue
            clean = cand[clean_mask.loc[cand.index]]
            note = f"age group {grp}"
            if clean_only and has_clean_info:
                if clean.empty:
                    note += ", no clean clip: took a noisy one"
                else:
                    cand = clean
                    note += ", clean"
            order = pd.DataFrame(
                {
                    "dist": (pd.to_numeric(cand["age_years"], errors="coerce") - target).abs().fillna(np.inf),
                    "speaker": cand["speaker"].astype(str),
                    "path": cand["path"].astype(str),
                },
                index=cand.index,
            ).sort_values(["dist", "speaker", "path"], kind="mergesort")
            chosen = manifest.loc[order.index[0]]
            if np.isfinite(order["dist"].iloc[0]):
                note += f", closest to {target:g} y"
            break
        if chosen is None:
            missing.append(f"{band} {g}")
            continue
        age = chosen.get("age_years")
        age_text = f"{age:.0f} y" if not pd.isna(age) else str(chosen.get("age_group"))
        rows.append({"role": f"{band} {g}", "label": f"{band} {g}, {age_text}", "selection_note": note, **chosen.to_dict()})
    out = pd.DataFrame(rows)
    if not out.empty:
        for col in ("age_group", "gender"):
            out[col] = out[col].astype(manifest[col].dtype)
    out.attrs["missing_roles"] = missing
    return out
