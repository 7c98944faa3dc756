"""Tests of the real-data loaders (workbook.sources) and their load reports.

Every fixture is built in tmp_path by the tests: small mp3/wav files written with
soundfile, broken ones (missing, zero bytes, truncated, not audio) and tables with
odd rows (quotes in sentences, unknown labels, newer gender spellings, duplicates,
malformed lines, non-ASCII names). The real Common Voice sample is loaded when present
(CI has it; in CI its absence is a failure).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from workbook.datasets import LOADERS, load_dataset
from workbook.paths import shared_commonvoice_sample
from workbook.sources import LoadReport, display_load_report
from workbook.sources.report import SPEAKER_LEAKAGE_WARNING
from workbook.sources.tables import DataLayoutError, split_age_values

SR = 16000


# ----------------------------------------------------------------- fixtures
def tone(seconds: float = 0.6, freq: float = 220.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_mp3(path: Path, seconds: float = 0.6, freq: float = 220.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), tone(seconds, freq), SR, format="MP3")
    return path


def write_wav(path: Path, seconds: float = 0.3, freq: float = 300.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), tone(seconds, freq), SR, subtype="PCM_16")
    return path


def write_truncated_mp3(path: Path) -> Path:
    write_mp3(path, seconds=2.0)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def write_zero_byte(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def by_line(report: LoadReport, source_file: str) -> dict[int, str]:
    """Dropped rows of one source file: line -> reason."""
    d = report.dropped[report.dropped["source_file"] == source_file]
    return {int(line): reason for line, reason in zip(d["source_line"], d["reason"])}


def flags_by_line(report: LoadReport, source_file: str) -> dict[int, set[str]]:
    f = report.flagged[report.flagged["source_file"] == source_file]
    out: dict[int, set[str]] = {}
    for line, flag in zip(f["source_line"], f["flag"]):
        out.setdefault(int(line), set()).add(flag)
    return out


CV6_HEADER = "client_id\tpath\tsentence\tup_votes\tdown_votes\tage\tgender\taccent\tlocale\tsegment"
CV17_HEADER = (
    "client_id\tpath\tsentence_id\tsentence\tsentence_domain\tup_votes\tdown_votes\tage\tgender"
    "\taccents\tvariant\tlocale\tsegment"
)
UMLAUT_NFC = unicodedata.normalize("NFC", "common_voice_de_grüße.mp3")


@pytest.fixture
def cv_release(tmp_path: Path) -> Path:
    """Two language folders: de (release 6.1 columns) and fr (release 17 columns)."""
    root = tmp_path / "cv-corpus"
    de = root / "de"
    clips = de / "clips"
    for name in ("de_1.mp3", "de_2.mp3", "de_3.mp3", "de_6.mp3", "de_7.mp3", "de_8.mp3"):
        write_mp3(clips / name)
    write_zero_byte(clips / "de_zero.mp3")
    write_truncated_mp3(clips / "de_trunc.mp3")
    write_mp3(clips / unicodedata.normalize("NFD", UMLAUT_NFC))  # macOS-style name on disk
    write_mp3(clips / "语音_1.mp3")
    write_lines(
        de / "validated.tsv",
        [
            CV6_HEADER,  # line 1
            'spk_a\tde_1.mp3\tEr sagte "Hallo" und ging.\t2\t0\ttwenties\tmale\tgermany\tde\t',  # 2 ok
            "spk_a\tde_2.mp3\tOhne Angaben.\t3\t1\t\t\t\tde\t",  # 3 kept: no age, no gender
            "spk_b\tde_missing.mp3\tFehlt.\t2\t0\tthirties\tfemale\t\tde\t",  # 4 missing file
            "spk_b\tde_zero.mp3\tLeer.\t2\t0\tthirties\tfemale\t\tde\t",  # 5 zero-byte mp3
            "spk_c\tde_trunc.mp3\tAbgeschnitten.\t2\t0\tfifties\tmale\t\tde\t",  # 6 truncated
            "spk_c\tde_3.mp3\tSeltsam.\t2\t0\tfifties\trobot\t\tde\t",  # 7 unknown gender
            "spk_d\tde_6.mp3\tUralt.\t2\t0\tancient\tfemale\t\tde\t",  # 8 unknown age group
            'spk_a\tde_1.mp3\tEr sagte "Hallo" und ging.\t2\t0\ttwenties\tmale\tgermany\tde\t',  # 9 duplicate
            "spk_e\tde_7.mp3\tZu\tviele\tFelder\t2\t0\tteens\tmale\t\tde\t",  # 10 malformed
            f"spk_e\t{UMLAUT_NFC}\tGrüße aus Köln.\t2\t0\tteens\tmale\t\tde\t",  # 11 NFC name, NFD file
            "spk_f\t语音_1.mp3\t“Zitat” mit 'Apostroph'.\t2\t0\tsixties\tother\t\tde\t",  # 12 non-ASCII
            "spk_g\tde_8.mp3\tOhne Geschlecht.\t2\t0\tfourties\t\t\tde\t",  # 13 kept: no gender
        ],
    )
    fr = root / "fr"
    for name in ("fr_1.mp3", "fr_2.mp3", "fr_3.mp3", "fr_4.mp3"):
        write_mp3(fr / "clips" / name)
    write_lines(
        fr / "validated.tsv",
        [
            CV17_HEADER,
            "spk_h\tfr_1.mp3\tsid1\tIl a dit « oui ».\tgeneral\t2\t0\tthirties\tfemale_feminine\tfrance\t\tfr\t",
            'spk_h\tfr_2.mp3\tsid2\tC\'est "ça".\tgeneral\t2\t0\tthirties\tfemale_feminine\tfrance\t\tfr\t',
            "spk_i\tfr_3.mp3\tsid3\tBonjour.\tgeneral\t4\t0\tseventies\tmale_masculine\t\t\tfr\t",
            "spk_j\tfr_4.mp3\tsid4\tMerci.\tgeneral\t2\t1\tforties\tdo_not_wish_to_say\t\t\tfr\t",
        ],
    )
    write_lines(fr / "train.tsv", [CV17_HEADER,
        "spk_h\tfr_1.mp3\tsid1\tIl a dit « oui ».\tgeneral\t2\t0\tthirties\tfemale_feminine\tfrance\t\tfr\t"])
    return root


# ---------------------------------------------------------- Common Voice release
def test_commonvoice_release_rows_and_report(cv_release: Path):
    ds = load_dataset("commonvoice", cv_release, n_jobs=1, n_speakers=300, clips_per_speaker=5, seed=0)
    r = ds.report
    assert r.n_input == 12 + 4  # 12 data lines in de (one malformed) + 4 in fr
    assert by_line(r, "de/validated.tsv") == {
        4: "missing file",
        5: "unreadable audio",
        7: "unknown label",
        8: "unknown label",
        9: "duplicate",
        10: "malformed row",
    }
    assert by_line(r, "fr/validated.tsv") == {}
    assert r.n_dropped == 6
    assert r.n_kept == 16 - 6 == len(ds.manifest)
    assert flags_by_line(r, "de/validated.tsv") == {
        3: {"no age label", "no gender label"},
        13: {"no gender label"},
    }
    assert flags_by_line(r, "fr/validated.tsv") == {5: {"no gender label"}}  # do_not_wish_to_say
    # header check does not decode: the truncated mp3 (line 6) is kept at this level
    assert (ds.manifest["clip"] == "de_trunc.mp3").sum() == 1
    m = ds.manifest.set_index("clip")
    assert m.loc["de_1.mp3", "sentence"] == 'Er sagte "Hallo" und ging.'
    assert m.loc["de_1.mp3", "speaker"] == "spk_a"
    assert m.loc["de_1.mp3", "age_group"] == "twenties" and m.loc["de_1.mp3", "gender"] == "male"
    assert m.loc["fr_1.mp3", "gender"] == "female" and m.loc["fr_1.mp3", "gender_source"] == "female_feminine"
    assert m.loc["fr_3.mp3", "gender"] == "male" and m.loc["fr_3.mp3", "age_group"] == "seventies"
    assert m.loc["fr_2.mp3", "sentence"] == "C'est \"ça\"."
    assert m.loc["语音_1.mp3", "sentence"] == "“Zitat” mit 'Apostroph'."
    assert m.loc["语音_1.mp3", "gender"] == "other"
    assert Path(m.loc[UMLAUT_NFC, "path"]).is_file()  # NFC name found as NFD file
    assert pd.isna(m.loc["de_2.mp3", "age_group"])
    # newer release columns kept, votes numeric, durations from the header
    assert {"sentence_id", "variant", "accents", "sentence_domain", "locale", "cv_split"} <= set(ds.manifest.columns)
    assert m.loc["fr_3.mp3", "up_votes"] == 4
    assert m.loc["fr_3.mp3", "sentence_id"] == "sid3"
    assert m.loc["de_1.mp3", "duration_s"] == pytest.approx(0.6, abs=0.08)
    assert m.loc["de_1.mp3", "sr_hz"] == SR
    # counts
    assert len(r.clips_per_speaker) == ds.manifest["speaker"].nunique() == 8
    counts = r.overview["count"]
    assert counts["with an age group"] == 9 and counts["with a gender"] == 7
    assert counts["labelled (age group and gender)"] == 7
    assert r.clips_per_speaker["spk_a"] == 2
    assert r.label_counts.loc["twenties", "male"] == 1
    assert r.label_counts.loc["total", "total"] == r.n_kept
    assert r.speaker_ids == "real" and r.warnings == []
    assert ds.info["ignored_params"] == {"n_speakers": 300, "clips_per_speaker": 5, "seed": 0}
    assert ds.info["speaker_leakage_possible"] is False


def test_commonvoice_forties_in_release_is_read_as_fourties(cv_release: Path):
    # The fr row spelled "forties" with gender "do_not_wish_to_say": forties maps to
    # Common Voice's "fourties"; the gender is "not given" -> kept and flagged.
    ds = load_dataset("commonvoice", cv_release, n_jobs=1, check_audio="none")
    row = ds.manifest.set_index("clip").loc["fr_4.mp3"]
    assert row["age_group"] == "fourties" and pd.isna(row["gender"])


def test_commonvoice_decode_catches_truncated_mp3_in_parallel(cv_release: Path):
    # add clips so the decode check runs through joblib with two workers
    clips = cv_release / "de" / "clips"
    lines = (cv_release / "de" / "validated.tsv").read_text(encoding="utf-8").splitlines()
    for i in range(16):
        write_mp3(clips / f"extra_{i}.mp3", seconds=0.3)
        lines.append(f"spk_x\textra_{i}.mp3\tNoch einer.\t2\t0\ttwenties\tfemale\t\tde\t")
    write_lines(cv_release / "de" / "validated.tsv", lines)
    ds = load_dataset("commonvoice", cv_release, languages=["de"], check_audio="decode", n_jobs=2)
    dropped = by_line(ds.report, "de/validated.tsv")
    assert dropped[6] == "unreadable audio"
    detail = ds.report.dropped.set_index("source_line").loc[6, "problem"]
    assert "truncated" in detail
    assert dropped[5] == "unreadable audio"  # zero bytes
    assert "extra_3.mp3" in set(ds.manifest["clip"])
    assert ds.report.check_audio == "decode"


def test_commonvoice_splits_single_language_and_duplicates(cv_release: Path):
    ds = load_dataset("commonvoice", cv_release / "fr", splits=["validated", "train"], check_audio="none")
    # train.tsv repeats a validated clip: dropped as a duplicate of the first listing
    assert by_line(ds.report, "train.tsv") == {2: "duplicate"}
    assert set(ds.manifest["cv_split"]) == {"validated"}
    assert ds.info["languages"] == ["fr"]


def test_commonvoice_layout_errors(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataLayoutError, match="validated.tsv"):
        load_dataset("commonvoice", tmp_path / "empty")
    with pytest.raises(DataLayoutError, match="needs data_dir"):
        load_dataset("commonvoice", None)
    with pytest.raises(TypeError, match="unknown parameter"):
        load_dataset("commonvoice", tmp_path / "empty", split="train")
    with pytest.raises(ValueError, match="check_audio"):
        load_dataset("commonvoice", tmp_path / "empty", check_audio="full")


def test_tsv_without_quoting_blank_and_malformed_lines(tmp_path: Path):
    write_wav(tmp_path / "x.wav")
    write_lines(tmp_path / "t.tsv", ["path\tnote", 'x.wav\tsaid "hi', "", "too\tmany\tfields", "y.wav\t'q'"])
    ds = load_dataset("folder_csv", tmp_path, quoting="none", age_column=None, gender_column=None, n_jobs=1)
    assert list(ds.manifest["note"]) == ['said "hi']
    assert by_line(ds.report, "t.tsv") == {4: "malformed row", 5: "missing file"}  # line numbers skip the blank


# ------------------------------------------------------------- Kaggle layout
@pytest.fixture
def cv_kaggle(tmp_path: Path) -> Path:
    root = tmp_path / "common-voice"
    header = "filename,text,up_votes,down_votes,age,gender,accent,duration"
    # train: nested folder as the Kaggle zip unpacks it
    train_audio = root / "cv-valid-train" / "cv-valid-train"
    for i in range(4):
        write_mp3(train_audio / f"sample-00000{i}.mp3")
    write_zero_byte(train_audio / "sample-000009.mp3")
    write_lines(
        root / "cv-valid-train.csv",
        [
            header,
            'cv-valid-train/sample-000000.mp3,"he said ""hi"", then left",2,0,twenties,male,us,',  # 2
            "cv-valid-train/sample-000001.mp3,plain text,1,0,,,,",  # 3 no labels
            "cv-valid-train/sample-000002.mp3,text,1,0,thirties,female,england,",  # 4
            "cv-valid-train/sample-000003.mp3,text,1,0,sixties,alien,,",  # 5 unknown gender
            "cv-valid-train/sample-000007.mp3,text,1,0,twenties,male,,",  # 6 missing
            "cv-valid-train/sample-000009.mp3,text,1,0,twenties,male,,",  # 7 zero bytes
            'cv-valid-train/sample-000000.mp3,"he said ""hi"", then left",2,0,twenties,male,us,',  # 8 dup
        ],
    )
    # dev: flat folder
    write_mp3(root / "cv-valid-dev" / "sample-000000.mp3")
    write_lines(root / "cv-valid-dev.csv", [header, "cv-valid-dev/sample-000000.mp3,dev text,3,0,fifties,female,canada,"])
    write_lines(root / "cv-other-train.csv", [header, "cv-other-train/sample-000000.mp3,x,0,2,teens,male,,"])
    return root


def test_commonvoice_kaggle_rows_pseudo_speakers_and_warning(cv_kaggle: Path):
    ds = load_dataset("commonvoice_kaggle", cv_kaggle, n_jobs=1)
    r = ds.report
    assert by_line(r, "cv-valid-train.csv") == {5: "unknown label", 6: "missing file", 7: "unreadable audio", 8: "duplicate"}
    assert by_line(r, "cv-valid-dev.csv") == {}
    assert r.n_input == 8 and r.n_kept == 4
    assert flags_by_line(r, "cv-valid-train.csv") == {3: {"no age label", "no gender label"}}
    m = ds.manifest.set_index("clip")
    assert m.loc["cv-valid-train/sample-000000.mp3", "text"] == 'he said "hi", then left'
    assert m.loc["cv-valid-dev/sample-000000.mp3", "cv_split"] == "cv-valid-dev"
    assert set(ds.manifest["cv_split"]) == {"cv-valid-train", "cv-valid-dev"}  # cv-other-* not by default
    # no speaker ids: pseudo ids, flag and loud warning
    assert ds.manifest["speaker"].is_unique
    assert ds.manifest["speaker"].str.startswith("clip:").all()
    assert r.speaker_ids == "pseudo" and ds.info["speaker_leakage_possible"] is True
    assert r.warnings == [SPEAKER_LEAKAGE_WARNING]
    assert "WARNING: Speaker leakage cannot be ruled out" in r.summary()


def test_commonvoice_kaggle_speaker_proxy_and_splits(cv_kaggle: Path):
    ds = load_dataset(
        "commonvoice_kaggle", cv_kaggle, splits=["cv-valid-train"], speaker_proxy=["age", "gender", "accent"],
        check_audio="none",
    )
    m = ds.manifest.set_index("clip")
    assert m.loc["cv-valid-train/sample-000000.mp3", "speaker"] == "proxy:twenties|male|us"
    assert ds.report.speaker_ids == "proxy" and ds.info["speaker_leakage_possible"] is False
    assert len(ds.report.warnings) == 1 and "proxy groups (age, gender, accent)" in ds.report.warnings[0]
    with pytest.raises(DataLayoutError, match="cv-valid-test.csv"):
        load_dataset("commonvoice_kaggle", cv_kaggle, splits=["cv-valid-test"])


def test_real_speaker_ids_give_no_warning(cv_release: Path):
    ds = load_dataset("commonvoice", cv_release, check_audio="none")
    assert ds.report.warnings == [] and ds.info["speaker_leakage_possible"] is False


# ------------------------------------------------------------ original bundle
def make_bundle(root: Path) -> Path:
    """An unpacked bundle with a top folder, as an archive would give it."""
    top = root / "c4_audio_dataset"
    audio = top / "audio_dataset"
    write_mp3(audio / "sample-000001.mp3")
    write_mp3(audio / "sample-000002.mp3")
    write_mp3(audio / "été-3.mp3")
    write_lines(
        top / "data.csv",
        [
            "filename,text,up_votes,down_votes,age,gender,accent,duration",
            "cv-valid-train/sample-000001.mp3,one,1,0,twenties,male,us,",  # basename lookup
            "sample-000002.mp3,two,1,0,forties,Female,,",  # forties -> fourties, Female
            "été-3.mp3,trois,1,0,thirties,other,,",
            "sample-000004.mp3,four,1,0,thirties,male,,",  # missing
            "sample-000002.mp3,two,1,0,forties,Female,,",  # duplicate
        ],
    )
    return root


def test_original_bundle(tmp_path: Path):
    root = make_bundle(tmp_path / "bundle")
    ds = load_dataset("original_bundle", root, n_jobs=1)
    r = ds.report
    assert by_line(r, "c4_audio_dataset/data.csv") == {5: "missing file", 6: "duplicate"}
    m = ds.manifest.set_index("clip")
    assert m.loc["sample-000002.mp3", "age_group"] == "fourties"
    assert m.loc["sample-000002.mp3", "gender"] == "female"
    assert Path(m.loc["cv-valid-train/sample-000001.mp3", "path"]).name == "sample-000001.mp3"
    assert m.loc["été-3.mp3", "gender"] == "other"
    assert r.speaker_ids == "pseudo" and SPEAKER_LEAKAGE_WARNING in r.warnings


def test_original_bundle_uses_a_speaker_column_when_present(tmp_path: Path):
    root = tmp_path / "b"
    write_mp3(root / "audio_dataset" / "a.mp3")
    write_lines(root / "meta.csv", ["filename,age,gender,client_id", "a.mp3,teens,male,abc"])
    ds = load_dataset("original_bundle", root, check_audio="none")
    assert list(ds.manifest["speaker"]) == ["abc"] and ds.report.speaker_ids == "real"


def test_original_bundle_missing_layout(tmp_path: Path):
    with pytest.raises(DataLayoutError, match="audio_dataset"):
        load_dataset("original_bundle", tmp_path)


# ----------------------------------------------------------------- folder + CSV
def test_folder_csv_mapped_columns_and_age_years(tmp_path: Path):
    root = tmp_path / "mine"
    for name in ("a.wav", "b.wav", "c.wav", "d.wav", "e.wav", "f.wav"):
        write_wav(root / "rec" / name)
    (root / "rec" / "g.wav").write_bytes(b"RIFF....not really audio")
    write_lines(
        root / "labels.csv",
        [
            "file,age_years,sex,participant,note",
            "rec/a.wav,34,F,p1,first",  # years -> thirties
            "rec/b.wav,forties,woman,p1,",  # group, spelled forties
            "rec/c.wav,12,M,p2,too young",  # outside 13-99 -> unknown label
            "rec/d.wav,abc,M,p2,",  # not an age -> unknown label
            "rec/e.wav,,,p3,",  # no labels -> kept, flagged
            "rec/f.wav,99,male,,no speaker",  # kept, flagged no speaker id
            "rec/g.wav,40,male,p4,",  # not audio
            ",40,male,p4,",  # empty path
        ],
    )
    ds = load_dataset(
        "folder_csv", root, csv="labels.csv", path_column="file", age_column="age_years",
        gender_column="sex", speaker_column="participant", n_jobs=1,
    )
    r = ds.report
    assert by_line(r, "labels.csv") == {4: "unknown label", 5: "unknown label", 8: "unreadable audio", 9: "missing file"}
    assert flags_by_line(r, "labels.csv") == {6: {"no age label", "no gender label"}, 7: {"no speaker id"}}
    m = ds.manifest.set_index("clip")
    assert m.loc["rec/a.wav", "age_years"] == 34 and m.loc["rec/a.wav", "age_group"] == "thirties"
    assert m.loc["rec/a.wav", "gender"] == "female" and m.loc["rec/a.wav", "speaker"] == "p1"
    assert m.loc["rec/b.wav", "age_group"] == "fourties" and np.isnan(m.loc["rec/b.wav", "age_years"])
    assert m.loc["rec/f.wav", "age_group"] == "nineties"
    assert m.loc["rec/a.wav", "note"] == "first" and pd.isna(m.loc["rec/b.wav", "note"])
    assert len(r.clips_per_speaker) == 2 and r.speaker_ids == "real"


def test_folder_csv_missing_column_names_parameter(tmp_path: Path):
    write_lines(tmp_path / "t.csv", ["path,age", "x.wav,20"])
    with pytest.raises(DataLayoutError, match="gender_column"):
        load_dataset("folder_csv", tmp_path)
    ds = load_dataset("folder_csv", tmp_path, gender_column=None, check_audio="none")
    assert ds.report.speaker_ids == "pseudo" and ds.report.n_dropped == 1


# ----------------------------------------------------------------- AudioMNIST
def test_audiomnist(tmp_path: Path):
    data = tmp_path / "AudioMNIST-main" / "data"
    meta = {
        "01": {"accent": "german", "age": 30, "gender": "male", "native speaker": "no"},
        "02": {"accent": "Danish", "age": "23", "gender": "female", "native speaker": "no"},
        "03": {"accent": "German", "age": "1234", "gender": "male", "native speaker": "no"},
        "04": {"accent": "German", "age": "61", "gender": "male", "native speaker": "no"},
    }
    data.mkdir(parents=True)
    (data / "audioMNIST_meta.txt").write_text(json.dumps(meta, indent=4).replace(",\n", ", \n"))
    for spk in ("01", "02", "03", "05"):
        for digit in (0, 7):
            write_wav(data / spk / f"{digit}_{spk}_0.wav", seconds=0.1)
    write_zero_byte(data / "02" / "9_02_3.wav")
    ds = load_dataset("audiomnist", tmp_path, n_jobs=1)
    r = ds.report
    assert r.n_input == 9 and r.n_kept == 6
    reasons = r.dropped.assign(name=r.dropped["path"].map(lambda p: Path(p).name)).set_index("name")["reason"]
    assert reasons.to_dict() == {
        "0_03_0.wav": "unknown label", "7_03_0.wav": "unknown label", "9_02_3.wav": "unreadable audio",
    }
    assert "1234" in r.dropped.set_index("path").loc[str(data / "03" / "0_03_0.wav"), "problem"]
    m = ds.manifest.set_index("clip")
    assert m.loc["01/7_01_0.wav", "age_years"] == 30 and m.loc["01/7_01_0.wav", "age_group"] == "thirties"
    assert m.loc["01/7_01_0.wav", "digit"] == 7 and m.loc["01/7_01_0.wav", "native_speaker"] == "no"
    assert m.loc["02/0_02_0.wav", "gender"] == "female"
    # speaker 05 has recordings but no meta entry: kept without labels, flagged
    assert pd.isna(m.loc["05/0_05_0.wav", "age_group"]) and pd.isna(m.loc["05/0_05_0.wav", "gender"])
    assert any("04" in w for w in r.warnings)  # in the meta file, no recordings
    assert len(r.clips_per_speaker) == 3 and r.speaker_ids == "real"


# ------------------------------------------------------------- report display
def test_report_tables_and_text(cv_release: Path, capsys):
    ds = load_dataset("commonvoice", cv_release, check_audio="none")
    r = ds.report
    text = r.summary()
    assert "16 rows read, 11 kept, 5 dropped" in text  # no audio check: the empty mp3 stays
    assert "dropped: missing file" in text and "dropped: duplicate" in text and "flagged: no age label" in text
    overview = r.overview["count"]
    assert overview["read"] == 16 and overview["dropped"] == 5 == r.n_dropped
    assert sum(overview[f"dropped: {reason}"] for reason in
               ("malformed row", "duplicate", "missing file", "unknown label", "unreadable audio")) == 5
    assert overview["kept, flagged: no gender label"] == 3
    # every dropped row is in the problems table with its path (or its line) and reason
    dropped = r.problems[r.problems["action"] == "dropped"]
    assert set(dropped["row"]) == set(r.dropped["row"]) and len(r.dropped) == 5
    assert dropped["reason"].notna().all() and dropped["source_line"].notna().all()
    assert dropped.loc[dropped["reason"] != "malformed row", "path"].notna().all()
    assert r.speakers["clips"].sum() == r.n_kept and r.speakers["speakers"].sum() == len(r.clips_per_speaker)
    display_load_report(ds)  # no IPython shell here: prints the summary
    assert "rows read" in capsys.readouterr().out
    assert "clips from" in ds.summary()


def test_display_load_report_shows_dataframes(cv_kaggle: Path, monkeypatch, capsys):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", shown.append)
    ds = load_dataset("commonvoice_kaggle", cv_kaggle, n_jobs=1)
    display_load_report(ds, max_rows=2)
    warning, overview, labels, speakers, dropped = shown
    assert isinstance(labels, pd.DataFrame) and labels.loc["total", "total"] == ds.report.n_kept
    assert speakers.equals(ds.report.speakers)
    assert list(dropped.columns) == ["row", "source_file", "source_line", "path", "reason", "problem"]
    assert len(dropped) == 2
    assert "Speaker leakage cannot be ruled out" in warning.to_html()
    html = overview.to_html()  # a Styler: the dropped reasons that dropped rows in red
    red = html.split("background-color: #f8d7da")[0].rsplit("}", 1)[-1]
    red_rows = {overview.data.index[int(i)] for i in re.findall(r"row(\d+)_col0", red)}
    assert red_rows == {"dropped: duplicate", "dropped: missing file", "dropped: unknown label",
                        "dropped: unreadable audio"}
    assert "first 2; all 4 in report.problems" in capsys.readouterr().out


def test_synthetic_report_names_manifest_lines(tmp_path: Path):
    ds = load_dataset("synthetic", tmp_path / "syn", n_speakers=2, clips_per_speaker=1, seed=0, n_jobs=1)
    assert isinstance(ds.report, LoadReport)
    assert ds.report.n_input == ds.report.n_kept == 2 and len(ds.report.clips_per_speaker) == 2
    assert "2 rows read, 2 kept, 0 dropped" in ds.report.summary()
    Path(ds.manifest.loc[1, "path"]).unlink()
    again = load_dataset("synthetic", tmp_path / "syn", n_speakers=2, clips_per_speaker=1, seed=0, n_jobs=1)
    assert by_line(again.report, "manifest.csv") == {3: "missing file"} and again.report.n_kept == 1


def test_helpers_small():
    groups, years = split_age_values(pd.Series(["34", "Forties", "", "twenties", "old"]))
    assert list(groups.fillna("-")) == ["-", "fourties", "-", "twenties", "old"]
    assert years.iloc[0] == 34 and years.iloc[1:].isna().all()
    assert set(LOADERS) >= {"synthetic", "commonvoice", "commonvoice_kaggle", "original_bundle", "folder_csv", "audiomnist"}


# ------------------------------------------------------------ the real sample
@pytest.mark.realdata
def test_real_commonvoice_sample_counts():
    """Counts stated in ../shared/data/commonvoice-6.1-sample/README.md."""
    root = shared_commonvoice_sample()
    if not (root / "README.md").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the Common Voice sample at {root}; it is missing")
        pytest.skip(f"Common Voice sample not found at {root} (outside CI)")
    ds = load_dataset("commonvoice", root)
    r = ds.report
    assert r.n_input == 2803 and r.n_kept == 2803 and r.n_dropped == 0  # "2,803 clips, all present"
    assert r.overview["count"]["with an age group"] == 2284  # "2,284 with an age label"
    assert r.overview["count"]["speakers with an age label"] == 927  # "from 927 distinct client_ids"
    counts = ds.manifest["age_group"].value_counts()
    assert counts["twenties"] == 1039 and counts["fourties"] == 284 and counts["seventies"] == 7
    aged = ds.manifest[ds.manifest["age_group"].notna()]
    genders = aged["gender"].value_counts(dropna=False)
    assert genders["male"] == 1785 and genders["female"] == 468 and genders["other"] == 15
    assert aged["gender"].isna().sum() == 16
    assert ds.manifest["duration_s"].between(1.0, 11.0).all()
    assert r.speaker_ids == "real"


def test_commonvoice_crlf_and_header_only_files(tmp_path: Path):
    root = tmp_path / "cv"
    write_mp3(root / "xx" / "clips" / "a.mp3")
    write_mp3(root / "xx" / "clips" / "b.mp3")
    (root / "xx" / "validated.tsv").write_bytes(
        (CV6_HEADER + "\r\n" + "s1\ta.mp3\tHi.\t1\t0\tteens\tfemale\t\txx\t\r\n"
         + "s2\tb\tOld release, no extension.\t1\t0\tteens\tmale\t\txx\t\r\n").encode()
    )
    write_lines(root / "yy" / "validated.tsv", [CV6_HEADER])
    ds = load_dataset("commonvoice", root, n_jobs=1)
    assert ds.report.n_input == 2 and ds.report.n_kept == 2
    row = ds.manifest.iloc[0]
    assert row["speaker"] == "s1" and row["gender"] == "female" and pd.isna(row["segment"])
    assert Path(ds.manifest.iloc[1]["path"]).name == "b.mp3"


def test_folder_csv_resolves_stems_and_explains_missing_files(tmp_path: Path):
    for name in ("speaker1.mp3", "speaker2.wav", "speaker2.mp3", "speaker3.flac"):
        (write_mp3 if name.endswith(".mp3") else write_wav)(tmp_path / "recordings" / name)
    (tmp_path / "recordings" / "folder.wav").mkdir()
    os.mkfifo(tmp_path / "recordings" / "pipe.wav")
    rows = ["speaker1", "speaker2", "speaker3", "speaker4", "folder.wav", "pipe.wav", "/dev/null"]
    write_lines(tmp_path / "labels.csv", ["path,age,gender"] + [f"{r},30,female" for r in rows])
    ds = load_dataset("folder_csv", tmp_path, audio_dir="recordings", n_jobs=1)
    assert sorted(Path(p).name for p in ds.manifest["path"]) == ["speaker1.mp3", "speaker2.wav", "speaker3.flac"]
    assert any("speaker2 -> speaker2.wav (also speaker2.mp3)" in w for w in ds.report.warnings)
    problem = dict(zip(ds.report.dropped["path"].map(lambda p: Path(p).name), ds.report.dropped["problem"]))
    assert problem["speaker4"].startswith(f"missing file: tried {tmp_path / 'recordings' / 'speaker4'}; closest file there: speaker")
    assert problem["folder.wav"].startswith("is a folder") and problem["pipe.wav"].startswith("not a regular file")
    assert problem["null"].startswith("not a regular file")
    # without audio_dir the closest file is found one folder below
    plain = load_dataset("folder_csv", tmp_path, n_jobs=1)
    assert "closest file there: recordings/speaker1.mp3" in plain.report.dropped["problem"].iloc[0]


@pytest.mark.parametrize("member", ["setuid", "device", "fifo", "outside link"])
def test_archive_members_are_checked_without_tarfile_data_filter(tmp_path: Path, monkeypatch, member):
    import io
    import tarfile

    from workbook.sources.downloads import DownloadError, _check_members

    monkeypatch.delattr(tarfile, "data_filter", raising=False)  # as on Python < 3.11.4
    archive = tmp_path / "a.tar"
    with tarfile.open(archive, "w") as tf:
        ok = tarfile.TarInfo("data/ok.txt")
        ok.size = 2
        tf.addfile(ok, io.BytesIO(b"ok"))
        bad = tarfile.TarInfo("data/bad")
        if member == "setuid":
            bad.mode, bad.size = 0o4755, 2
        else:
            bad.type = {"device": tarfile.CHRTYPE, "fifo": tarfile.FIFOTYPE, "outside link": tarfile.SYMTYPE}[member]
            bad.linkname = "../../etc/passwd"
        tf.addfile(bad, io.BytesIO(b"hi") if member == "setuid" else None)
    with pytest.raises(DownloadError, match="'data/bad'.*refused"):
        _check_members(archive)
